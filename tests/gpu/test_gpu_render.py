"""The gpu profile through the real render: NVIDIA's components join transformed and stay clean."""

from __future__ import annotations

import pytest
from harness import RenderOf

from kubeforge.check.validate import validate_objects
from kubeforge.gpu import DAEMONSET, NAMESPACE
from kubeforge.k8s import ident, name_of, namespace_of
from kubeforge.policy import PolicyContext, evaluate

from .conftest import gpu_objects


@pytest.mark.slow
def test_gpu_profile_render(render_of: RenderOf) -> None:
    render = render_of("gpu")
    spec = render.spec

    gpu = ("nvidia-device-plugin", "dcgm-exporter")
    ours = [o for c, o in zip(render.component_of, render.objects, strict=True) if c in gpu]
    assert sorted(ident(o) for o in ours) == sorted(ident(o) for o in gpu_objects(spec))
    assert set(gpu) <= set(render.components)
    # Nothing else in the render claims the namespace, but the security layer's default-deny and allows, and
    # Prometheus's discovery Role (dcgm-exporter's ServiceMonitor looks here).
    others = [o for c, o in zip(render.component_of, render.objects, strict=True) if c not in gpu]
    here = [o for o in others if namespace_of(o) == NAMESPACE]
    assert {o["kind"] for o in here} == {"NetworkPolicy", "Role", "RoleBinding"}
    assert {name_of(o) for o in here if o["kind"] != "NetworkPolicy"} == {"prometheus-k8s"}
    crds = [o for o in render.objects if o["kind"] == "CustomResourceDefinition"]
    assert validate_objects([*ours, *crds], "1.34") == []
    names = {ident(o) for o in ours}
    assert [f for f in evaluate(render.objects, PolicyContext(kind=False)) if f.object in names] == []
    [ds] = [o for o in ours if o["kind"] == "DaemonSet" and name_of(o) == DAEMONSET]
    assert ds["metadata"]["labels"]["kubeforge.io/component"] == "nvidia-device-plugin"
    policies = {name_of(o) for o in others if namespace_of(o) == NAMESPACE}
    assert {"default-deny", "allow-scrape-gpu-operator-dcgm-exporter-9400-in"} <= policies
