"""Pod Security labels on every upstream namespace, with versions pinned to the cluster's Kubernetes.

Upstream sets `enforce` on some namespaces and never a version: an unpinned level changes meaning
when the cluster is upgraded. Keep upstream's enforce level (baseline where it set none), pin it,
and warn/audit at restricted so drift shows before it is enforced.
"""

from __future__ import annotations

from kubeforge.k8s import KObj

PREFIX = "pod-security.kubernetes.io/"


def pin_pod_security(objects: list[KObj], kubernetes_minor: str) -> list[KObj]:
    version = f"v{kubernetes_minor.lstrip('v')}"
    for obj in objects:
        if obj.get("kind") != "Namespace":
            continue
        meta = obj.setdefault("metadata", {})
        labels = meta.get("labels") or {}
        labels.setdefault(PREFIX + "enforce", "baseline")
        labels.setdefault(PREFIX + "warn", "restricted")
        labels.setdefault(PREFIX + "audit", "restricted")
        for mode in ("enforce", "warn", "audit"):
            labels.setdefault(f"{PREFIX}{mode}-version", version)
        meta["labels"] = labels
    return objects
