"""The gpu profile through the real render: the layer joins as component "gpu" and stays clean."""

from __future__ import annotations

import pytest
from harness import RenderOf

from kubeforge.check.validate import validate_objects
from kubeforge.gpu import DAEMONSET, NAMESPACE, gpu_objects
from kubeforge.k8s import ident, name_of, namespace_of
from kubeforge.policy import PolicyContext, evaluate


@pytest.mark.slow
def test_gpu_profile_render(render_of: RenderOf) -> None:
    render = render_of("gpu")
    spec = render.spec

    ours = [o for c, o in zip(render.component_of, render.objects, strict=True) if c == "gpu"]
    assert sorted(ident(o) for o in ours) == sorted(ident(o) for o in gpu_objects(spec, []))
    assert "gpu" in render.components
    # Nothing else in the render claims the namespace or the DaemonSet.
    others = [o for c, o in zip(render.component_of, render.objects, strict=True) if c != "gpu"]
    assert not [o for o in others if namespace_of(o) == NAMESPACE or name_of(o) == NAMESPACE]
    assert validate_objects(ours, "1.34") == []
    names = {ident(o) for o in ours}
    assert [f for f in evaluate(render.objects, PolicyContext(kind=False)) if f.object in names] == []
    [ds] = [o for o in ours if o["kind"] == "DaemonSet"]
    assert name_of(ds) == DAEMONSET
    assert ds["metadata"]["labels"]["kubeforge.io/component"] == "gpu"
