"""Shared fixtures: small object builders and upstream kubeflow/manifests 26.03 (read at run time, never copied)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

K8S = "1.34"


def deployment(**spec_overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "imagePullPolicy": "Always"}]},
        },
    }
    spec.update(spec_overrides)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": spec,
    }


@pytest.fixture
def manifests_2603(upstream: Path) -> Path:
    """kubeflow/manifests at 26.03 in the upstream mirror."""
    return upstream / "kubeflow" / "manifests" / "26.03"


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def kustomize(path: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize` of an upstream directory (a fresh copy each call); skips without kubectl."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl not installed: needed to build upstream kustomizations")
    return [d for d in yaml.safe_load_all(_build(str(path))) if d]


@functools.cache
def _build(path: str) -> str:
    kubectl = shutil.which("kubectl") or "kubectl"
    return subprocess.run([kubectl, "kustomize", path], capture_output=True, text=True, check=True).stdout
