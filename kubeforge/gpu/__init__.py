"""NVIDIA GPU support from upstream: the device plugin, gpu-feature-discovery and dcgm-exporter, as NVIDIA
ships them (release components `nvidia-device-plugin` and `dcgm-exporter`, on only when `spec.gpu.enabled`),
transformed here into the gpu-operator namespace with the `nvidia` RuntimeClass and the spec's sharing.
"""

from __future__ import annotations

from kubeforge.gpu.config import mig_strategy, time_slicing
from kubeforge.gpu.names import (
    DAEMONSET,
    DCGM_EXPORTER,
    FEATURE_DISCOVERY,
    GPU_NODE_LABEL,
    GPU_NODE_VALUE,
    IMAGE,
    NAMESPACE,
    RUNTIME_CLASS,
)
from kubeforge.gpu.upstream import dcgm_exporter, device_plugin

__all__ = [
    "DAEMONSET",
    "DCGM_EXPORTER",
    "FEATURE_DISCOVERY",
    "GPU_NODE_LABEL",
    "GPU_NODE_VALUE",
    "IMAGE",
    "NAMESPACE",
    "RUNTIME_CLASS",
    "dcgm_exporter",
    "device_plugin",
    "mig_strategy",
    "time_slicing",
]
