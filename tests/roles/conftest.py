"""Shared fixtures for the role tests: the real GPU outputs and the facts module."""

from __future__ import annotations

import importlib.util
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Captured on a real H200 with driver 580.159.04; the repository sits next to shared/.
FIXTURES = pathlib.Path(
    os.environ.get("KUBEFORGE_GPU_FIXTURES", ROOT.parent / "shared" / "fixtures" / "gpu" / "h200-driver580")
)


@pytest.fixture(scope="session")
def gpu_fixtures() -> pathlib.Path:
    if not (FIXTURES / "nvidia-smi-q.xml").exists():
        pytest.fail(f"GPU fixtures missing at {FIXTURES} (set KUBEFORGE_GPU_FIXTURES)")
    return FIXTURES


@pytest.fixture(scope="session")
def facts_module():
    path = ROOT / "roles" / "nvidia_driver" / "library" / "nvidia_gpu_facts.py"
    spec = importlib.util.spec_from_file_location("nvidia_gpu_facts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
