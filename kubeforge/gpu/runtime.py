"""RuntimeClass `nvidia`: pods that name it run under the NVIDIA container runtime on GPU nodes."""

from __future__ import annotations

from kubeforge.gpu.meta import meta, obj
from kubeforge.gpu.names import GPU_NODE_LABEL, GPU_NODE_VALUE, RUNTIME_CLASS, RUNTIME_HANDLER
from kubeforge.k8s import KObj


def runtime_class() -> KObj:
    # The handler is the containerd runtime entry the containerd role writes on GPU nodes
    # (containerd_nvidia_runtime_name). Only GPU nodes have it, so the scheduler is told to place
    # pods of this class there: elsewhere they would fail with "no runtime for nvidia".
    return obj(
        "node.k8s.io/v1",
        "RuntimeClass",
        meta(RUNTIME_CLASS),
        handler=RUNTIME_HANDLER,
        scheduling={"nodeSelector": {GPU_NODE_LABEL: GPU_NODE_VALUE}},
    )
