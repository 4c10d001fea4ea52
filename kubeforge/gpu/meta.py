"""Small object builders shared by the GPU modules."""

from __future__ import annotations

from kubeforge.gpu.names import APP
from kubeforge.k8s import KObj

COMPONENT = "gpu"


def meta(name: str, namespace: str | None = None, labels: dict[str, str] | None = None) -> dict[str, object]:
    out: dict[str, object] = {"name": name}
    if namespace is not None:
        out["namespace"] = namespace
    out["labels"] = {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": COMPONENT, **(labels or {})}
    return out


def obj(api_version: str, kind: str, metadata: dict[str, object], **rest: object) -> KObj:
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **rest}
