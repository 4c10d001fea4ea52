"""Our labels on every object, so `kubectl get -l app.kubernetes.io/part-of=kubeforge` finds the platform."""

from __future__ import annotations

from kubeforge.k8s import KObj

PART_OF = "app.kubernetes.io/part-of"
COMPONENT = "app.kubernetes.io/component"
VERSION = "kubeforge.io/component-version"
MANAGED = "app.kubernetes.io/managed-by"


def add_labels(objects: list[KObj], component: str, version: str) -> list[KObj]:
    """Set managed-by, our component and version; keep upstream's part-of and component labels.

    Only metadata labels: selectors and pod templates are immutable or select by upstream labels.
    """
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        labels = meta.get("labels") or {}
        labels.setdefault(PART_OF, "kubeforge")  # upstream selects on its own part-of (kubeflow-profile)
        labels[MANAGED] = "kubeforge"
        labels[VERSION] = version
        labels.setdefault(COMPONENT, component)
        labels["kubeforge.io/component"] = component
        meta["labels"] = labels
    return objects
