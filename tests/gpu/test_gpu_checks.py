"""The GPU layer through kubeforge's checks: strict schemas, policy rules, checkov, pipeline transforms."""

from __future__ import annotations

import re

import pytest

from kubeforge.check.checkov import SKIP_VALUE, checkov_executable, run_checkov
from kubeforge.check.validate import validate_objects
from kubeforge.errors import BadInput
from kubeforge.gpu import DAEMONSET, IMAGE, NAMESPACE
from kubeforge.k8s import KObj, ident, name_of, pod_spec
from kubeforge.policy import RULES, PolicyContext, evaluate
from kubeforge.render.transforms.decisions import record_decisions
from kubeforge.render.transforms.hardening import harden
from kubeforge.render.transforms.images import rewrite_images
from kubeforge.render.transforms.labels import add_labels
from kubeforge.render.transforms.sizing import apply_sizing, plan_for
from kubeforge.security.netpols import default_deny

from .conftest import gpu_objects, gpu_spec

STRATEGIES = ["time-slicing", "mig-mixed", "mig-single", "none"]
# KF001 asks for mesh-wide STRICT mTLS in istio-system: a property of the whole render, not of this layer.
LAYER_RULES = [rule for rule in RULES if rule.id != "KF001"]


def pipelined(objects: list[KObj], registry: str | None = None) -> list[KObj]:
    """What render_platform does to an upstream component's objects after the GPU transform."""
    spec = gpu_spec()
    objects = apply_sizing(objects, plan_for(spec.sizing, None))
    return record_decisions(add_labels(rewrite_images(harden(objects), registry), "gpu", "kubeforge"))


@pytest.mark.parametrize("sharing", STRATEGIES)
def test_schema_valid(sharing: str) -> None:
    # The ServiceMonitor's CRD is kube-prometheus's: checked with it in the gpu profile's full render.
    objects = [o for o in gpu_objects(gpu_spec(sharing)) if o["kind"] != "ServiceMonitor"]
    assert validate_objects(objects, "1.34") == []
    assert validate_objects(pipelined(objects), "1.34") == []


@pytest.mark.parametrize("sharing", STRATEGIES)
def test_policy_clean(sharing: str) -> None:
    # As the render has them: sized (upstream sets no requests), with the security layer's default-deny.
    objects = [*pipelined(gpu_objects(gpu_spec(sharing))), default_deny(NAMESPACE)]
    ctx = PolicyContext(kind=False)
    assert evaluate(objects, ctx, LAYER_RULES) == []
    ours = {ident(o) for o in objects}
    assert [f for f in evaluate(objects, ctx) if f.object in ours] == []


def test_pipeline_keeps_what_the_layer_set() -> None:
    before = gpu_objects(gpu_spec())
    after = pipelined(gpu_objects(gpu_spec()), registry="mirror.example.internal/kf")
    [ds_before] = [o for o in before if o["kind"] == "DaemonSet" and name_of(o) == DAEMONSET]
    [ds_after] = [o for o in after if o["kind"] == "DaemonSet" and name_of(o) == DAEMONSET]
    ctr_before = (pod_spec(ds_before) or {})["containers"][0]
    ctr_after = (pod_spec(ds_after) or {})["containers"][0]
    assert "resources" not in ctr_before and set(ctr_after["resources"]) == {"requests", "limits"}  # sizing adds
    assert ctr_after["securityContext"] == ctr_before["securityContext"]
    assert IMAGE == "nvcr.io/nvidia/k8s-device-plugin:v0.20.0"
    assert ctr_after["image"] == "mirror.example.internal/kf/nvidia/k8s-device-plugin:v0.20.0"


def _checkov_or_skip() -> None:
    try:
        checkov_executable()
    except BadInput as exc:
        pytest.skip(f"checkov not installed: {exc}")


@pytest.mark.slow
@pytest.mark.parametrize("sharing", ["time-slicing", "mig-mixed"])
def test_checkov_clean(sharing: str) -> None:
    _checkov_or_skip()
    objects = pipelined(gpu_objects(gpu_spec(sharing)))
    result = run_checkov(objects)
    assert result.findings == []
    assert result.failed == 0
    assert result.parsing_errors == 0
    assert result.resource_count >= len(objects)  # every object scanned (checkov counts some twice)
    assert result.passed > 0


@pytest.mark.parametrize("sharing", ["time-slicing", "mig-mixed"])
def test_checkov_suppressions_are_well_formed(sharing: str) -> None:
    for obj in gpu_objects(gpu_spec(sharing)):
        annotations = (obj["metadata"].get("annotations") or {}).items()
        skips = [value for key, value in annotations if re.fullmatch(r"checkov\.io/skip\d+", key)]
        for value in skips:
            match = SKIP_VALUE.match(value)
            assert match is not None, value  # one "=": checkov's parser splits on it
            assert len(match.group(2)) > 20, f"{value}: say why"
        checks = [value.split("=", 1)[0] for value in skips]
        assert len(set(checks)) == len(checks)
