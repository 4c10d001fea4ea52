"""The GPU layer through kubeforge's checks: strict schemas, policy rules, checkov, pipeline transforms."""

from __future__ import annotations

import re

import pytest

from kubeforge.check.checkov import SKIP_VALUE, checkov_executable, run_checkov
from kubeforge.check.validate import validate_objects
from kubeforge.errors import BadInput
from kubeforge.gpu import IMAGE, gpu_objects
from kubeforge.k8s import KObj, ident, pod_spec
from kubeforge.policy import RULES, PolicyContext, evaluate
from kubeforge.render.transforms.hardening import harden
from kubeforge.render.transforms.images import rewrite_images
from kubeforge.render.transforms.labels import add_labels
from kubeforge.render.transforms.sizing import apply_sizing, plan_for

from .conftest import gpu_spec

STRATEGIES = ["time-slicing", "mig-mixed", "mig-single", "none"]
# KF001 asks for mesh-wide STRICT mTLS in istio-system: a property of the whole render, not of this layer.
LAYER_RULES = [rule for rule in RULES if rule.id != "KF001"]


def pipelined(objects: list[KObj], registry: str | None = None) -> list[KObj]:
    """What render_platform does to an addition's objects."""
    spec = gpu_spec()
    objects = apply_sizing(objects, plan_for(spec.sizing, None))
    return add_labels(rewrite_images(harden(objects), registry), "gpu", "kubeforge")


@pytest.mark.parametrize("sharing", STRATEGIES)
def test_schema_valid(sharing: str) -> None:
    objects = gpu_objects(gpu_spec(sharing), [])
    assert validate_objects(objects, "1.34") == []
    assert validate_objects(pipelined(objects), "1.34") == []


@pytest.mark.parametrize("sharing", STRATEGIES)
def test_policy_clean(sharing: str) -> None:
    objects = gpu_objects(gpu_spec(sharing), [])
    ctx = PolicyContext(kind=False)
    assert evaluate(objects, ctx, LAYER_RULES) == []
    # The whole rule set finds nothing on the layer's own objects either.
    ours = {ident(o) for o in objects}
    assert [f for f in evaluate(objects, ctx) if f.object in ours] == []
    assert evaluate(pipelined(objects), ctx, LAYER_RULES) == []


def test_pipeline_keeps_what_the_layer_set() -> None:
    before = gpu_objects(gpu_spec(), [])
    after = pipelined(gpu_objects(gpu_spec(), []), registry="mirror.example.internal/kf")
    [ds_before] = [o for o in before if o["kind"] == "DaemonSet"]
    [ds_after] = [o for o in after if o["kind"] == "DaemonSet"]
    ctr_before = (pod_spec(ds_before) or {})["containers"][0]
    ctr_after = (pod_spec(ds_after) or {})["containers"][0]
    assert ctr_after["resources"] == ctr_before["resources"]  # sane ones of its own: sizing keeps them
    assert ctr_after["securityContext"] == ctr_before["securityContext"]
    assert IMAGE == "nvcr.io/nvidia/k8s-device-plugin:v0.17.4"
    assert ctr_after["image"] == "mirror.example.internal/kf/nvidia/k8s-device-plugin:v0.17.4"


def _checkov_or_skip() -> None:
    try:
        checkov_executable()
    except BadInput as exc:
        pytest.skip(f"checkov not installed: {exc}")


@pytest.mark.slow
@pytest.mark.parametrize("sharing", ["time-slicing", "mig-mixed"])
def test_checkov_clean(sharing: str) -> None:
    _checkov_or_skip()
    objects = gpu_objects(gpu_spec(sharing), [])
    result = run_checkov(objects)
    assert result.findings == []
    assert result.failed == 0
    assert result.parsing_errors == 0
    assert result.resource_count >= len(objects)  # every object scanned (checkov counts some twice)
    assert result.passed > 0


@pytest.mark.parametrize("sharing", ["time-slicing", "mig-mixed"])
def test_checkov_suppressions_are_well_formed(sharing: str) -> None:
    for obj in gpu_objects(gpu_spec(sharing), []):
        annotations = (obj["metadata"].get("annotations") or {}).items()
        skips = [value for key, value in annotations if re.fullmatch(r"checkov\.io/skip\d+", key)]
        for value in skips:
            match = SKIP_VALUE.match(value)
            assert match is not None, value  # one "=": checkov's parser splits on it
            assert len(match.group(2)) > 20, f"{value}: say why"
        checks = [value.split("=", 1)[0] for value in skips]
        assert len(set(checks)) == len(checks)
