"""The device plugin's configuration: a time-slicing config file, or the MIG strategy."""

from __future__ import annotations

import hashlib
from typing import Any

import yaml

from kubeforge.gpu.meta import meta, obj
from kubeforge.gpu.names import CONFIG_KEY, CONFIG_MAP, GPU_RESOURCE, NAMESPACE
from kubeforge.k8s import KObj
from kubeforge.spec.model import GPUSpec


def mig_strategy(gpu: GPUSpec) -> str:
    """MIG_STRATEGY of the plugin: none unless the GPUs are partitioned with MIG."""
    return gpu.sharing.mig_strategy if gpu.sharing.strategy == "mig" else "none"


def time_slicing(gpu: GPUSpec) -> dict[str, Any] | None:
    """The plugin's config file (version v1) for time-slicing; None for other strategies."""
    if gpu.sharing.strategy != "time-slicing":
        return None
    return {
        "version": "v1",
        "sharing": {
            "timeSlicing": {
                # A request for 2 shared GPUs buys no more compute than 1 (NVIDIA recommends failing it).
                "failRequestsGreaterThanOne": True,
                "resources": [{"name": GPU_RESOURCE, "replicas": gpu.sharing.replicas}],
            }
        },
    }


def config_text(config: dict[str, Any]) -> str:
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def config_map(gpu: GPUSpec) -> KObj | None:
    config = time_slicing(gpu)
    if config is None:
        return None
    return obj("v1", "ConfigMap", meta(CONFIG_MAP, NAMESPACE), data={CONFIG_KEY: config_text(config)})


def config_hash(config_map_obj: KObj) -> str:
    """Short digest of the ConfigMap's data: a pod annotation, so a changed config rolls the DaemonSet."""
    data = config_map_obj.get("data") or {}
    text = "".join(f"{key}\0{data[key]}\0" for key in sorted(data))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
