"""Our labels on every object, so `kubectl get -l app.kubernetes.io/part-of=kubeforge` finds the platform."""

from __future__ import annotations

from kubeforge.k8s import KObj
from kubeforge.names import (
    COMPONENT_LABEL,
    COMPONENT_VERSION_LABEL,
    KUBEFORGE_COMPONENT_LABEL,
    MANAGED_BY_LABEL,
    PART_OF_LABEL,
)


def add_labels(objects: list[KObj], component: str, version: str) -> list[KObj]:
    """Set managed-by, our component and version; keep upstream's part-of and component labels.

    Only metadata labels: selectors and pod templates are immutable or select by upstream labels.
    """
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        labels = meta.get("labels") or {}
        labels.setdefault(PART_OF_LABEL, "kubeforge")  # upstream selects on its own part-of (kubeflow-profile)
        labels[MANAGED_BY_LABEL] = "kubeforge"
        labels[COMPONENT_VERSION_LABEL] = version
        labels.setdefault(COMPONENT_LABEL, component)
        labels[KUBEFORGE_COMPONENT_LABEL] = component
        meta["labels"] = labels
    return objects
