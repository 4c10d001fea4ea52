"""Looking objects up in a render: by (kind, namespace, name), a workload's containers, a container's env."""

from __future__ import annotations

from typing import Any

from kubeforge.k8s import KObj, name_of, namespace_of, pod_spec


def by_key(objects: list[KObj]) -> dict[tuple[str, str, str], KObj]:
    return {(str(o.get("kind")), namespace_of(o) or "", name_of(o)): o for o in objects}


def containers(o: KObj) -> list[dict[str, Any]]:
    return list((pod_spec(o) or {}).get("containers") or [])


def env_of(o: KObj, container: str) -> dict[str, Any]:
    c = next(c for c in containers(o) if c["name"] == container)
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in c.get("env") or []}
