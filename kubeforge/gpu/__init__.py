"""NVIDIA GPU support: the device plugin in its own locked-down namespace and the `nvidia` RuntimeClass.

`gpu_objects` is the render's "gpu" addition (kubeforge.render.extensions): nothing unless
`spec.gpu.enabled`. The pipeline then applies sizing, hardening, the image mirror and labels.
"""

from __future__ import annotations

from kubeforge.gpu.config import config_map, mig_strategy, time_slicing
from kubeforge.gpu.deviceplugin import daemonset
from kubeforge.gpu.names import DAEMONSET, GPU_NODE_LABEL, GPU_NODE_VALUE, IMAGE, NAMESPACE, RUNTIME_CLASS
from kubeforge.gpu.namespace import default_deny, namespace, service_account
from kubeforge.gpu.runtime import runtime_class
from kubeforge.k8s import KObj
from kubeforge.spec.model import PlatformSpec

__all__ = [
    "DAEMONSET",
    "GPU_NODE_LABEL",
    "GPU_NODE_VALUE",
    "IMAGE",
    "NAMESPACE",
    "RUNTIME_CLASS",
    "gpu_objects",
    "mig_strategy",
    "time_slicing",
]


def gpu_objects(spec: PlatformSpec, objects: list[KObj] | None = None) -> list[KObj]:
    """The GPU layer's objects for `spec`, fresh on every call, in a fixed order; [] without GPUs.

    `objects` (the upstream render) is accepted for the extension interface and not needed.
    """
    if not spec.gpu.enabled:
        return []
    cm = config_map(spec.gpu)
    out = [namespace(spec), default_deny(), service_account(), runtime_class()]
    if cm is not None:
        out.append(cm)
    out.append(daemonset(spec.gpu, cm))
    return out
