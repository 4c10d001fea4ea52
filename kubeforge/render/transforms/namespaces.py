"""Namespace placement: cluster-scoped objects carry none, namespaced ones always carry one."""

from __future__ import annotations

from kubeforge.k8s import CLUSTER_SCOPED_KINDS, KObj


def place(
    objects: list[KObj], default_namespace: str, cluster_scoped: frozenset[str] = CLUSTER_SCOPED_KINDS
) -> list[KObj]:
    """Drop stray namespaces from cluster-scoped kinds; put namespaced objects without one in the default."""
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        if obj.get("kind") in cluster_scoped:
            meta.pop("namespace", None)
        elif not meta.get("namespace"):
            meta["namespace"] = default_namespace
    return objects


def cluster_scoped_kinds(objects: list[KObj]) -> frozenset[str]:
    """Built-in cluster-scoped kinds, as each CRD of the same render scopes its kind (Cluster adds, Namespaced removes)."""
    kinds = set(CLUSTER_SCOPED_KINDS)
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            kind = str((spec.get("names") or {}).get("kind", ""))
            if spec.get("scope") == "Cluster":
                kinds.add(kind)
            elif spec.get("scope") == "Namespaced":
                kinds.discard(kind)  # e.g. Knative's caching Image, whatever another group's Image is
    return frozenset(kinds)
