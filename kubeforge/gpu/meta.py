"""Metadata of the GPU layer's objects: the component label plus the device plugin's app name."""

from __future__ import annotations

from typing import Any

from kubeforge import k8s
from kubeforge.gpu.names import APP

COMPONENT = "gpu"
obj = k8s.obj


def meta(name: str, namespace: str | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return k8s.meta(name, namespace, COMPONENT, {"app.kubernetes.io/name": APP, **(labels or {})})
