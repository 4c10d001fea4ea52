"""GPU layer fixtures: specs per sharing strategy, the facts module of the nvidia_driver role."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from harness import need_mirror

from kubeforge.gpu import dcgm_exporter, device_plugin
from kubeforge.k8s import KObj
from kubeforge.release.store import load_lock
from kubeforge.render.transforms.namespaces import place
from kubeforge.render.yamlio import load_stream
from kubeforge.spec.load import load_spec
from kubeforge.spec.model import PlatformSpec

REPO = Path(__file__).resolve().parents[2]
ROLES = REPO / "roles"

SHARING: dict[str, dict[str, Any]] = {
    "time-slicing": {},  # profiles/gpu.yaml as it is: time-slicing, 4 replicas
    "mig-mixed": {"gpu": {"sharing": {"strategy": "mig", "mig_strategy": "mixed"}}},
    "mig-single": {"gpu": {"sharing": {"strategy": "mig", "mig_strategy": "single"}}},
    "none": {"gpu": {"sharing": {"strategy": "none"}}},
}


def gpu_spec(sharing: str = "time-slicing", **extra: Any) -> PlatformSpec:
    overrides = {**SHARING[sharing], **extra}
    return load_spec("gpu", extra=overrides or None)


@pytest.fixture(scope="session")
def facts_module() -> ModuleType:
    """roles/nvidia_driver/library/nvidia_gpu_facts.py, imported from the role itself."""
    path = ROLES / "nvidia_driver" / "library" / "nvidia_gpu_facts.py"
    spec = importlib.util.spec_from_file_location("nvidia_gpu_facts_for_gpu_tests", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def roles() -> Path:
    return ROLES


def gpu_objects(spec: PlatformSpec) -> list[KObj]:
    """What the render makes of NVIDIA's manifests (read from the mirror at the lock's paths) for `spec`:
    the two GPU components placed and transformed; [] when the spec has no GPUs (they are off)."""
    if not spec.gpu.enabled:
        return []
    lock = load_lock(spec.release)
    mirror = need_mirror()
    out: list[KObj] = []
    for name, transform in (("nvidia-device-plugin", device_plugin), ("dcgm-exporter", dcgm_exporter)):
        comp = lock.components[name]
        src = lock.sources[comp.source]
        objs = [o for p in comp.paths for o in load_stream((mirror / src.repo / src.tag / p).read_text())]
        out += transform(place(objs, comp.namespaces[0]), spec)
    return out
