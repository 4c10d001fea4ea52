"""Stable identities: an object in both v1.11.0 and 26.03 keeps its URN, so `pulumi up` of the new release
updates it in place instead of deleting and re-creating it (a PVC, a CRD and its custom resources).

URNs come from the mocked program runs: each ConfigGroup's recorded URN and resourcePrefix, and its
children's names as pulumi-kubernetes' yaml/v2 forms them (stacks/urns.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kubeforge.render.waves import Wave, WavePlan
from stacks.config import StackConfig
from stacks.mocked import MockedRun, run_mocked, unwrap
from stacks.plan import Plan, plan_stack
from stacks.program import Renderer
from stacks.urns import Identity, child_urn, identity

GROUP = "kubernetes:yaml/v2:ConfigGroup"
SECRET = "kubernetes:core/v1:Secret"
TEAMS = [
    {"name": "team-a", "owners": ["a@example.com"], "members": ["b@example.com"]},
    {"name": "team-b", "owners": ["b@example.com"]},
]
PROFILES: dict[str, tuple[dict[str, Any], str | None, str | None]] = {
    "kind": ({"teams": TEAMS}, "kind-kubeflow", None),
    "production": ({"ingress": {"host": "ml.corp.example"}}, "prod-admin", "/tmp/kubeconfig"),
}


def object_urns(run: MockedRun) -> dict[Identity, str]:
    urns: dict[Identity, str] = {}
    for reg in run.registrations:
        if reg.type == GROUP:
            for obj in reg.inputs["objs"]:
                urns[identity(obj)] = child_urn(reg.urn, reg.inputs.get("resourcePrefix", reg.name), obj)
        elif reg.type == SECRET:
            urns[identity({"apiVersion": "v1", "kind": "Secret", "metadata": unwrap(reg.inputs["metadata"])})] = reg.urn
    return urns


def _run(renderer: Renderer, profile: str, release: str) -> MockedRun:
    spec, context, kubeconfig = PROFILES[profile]
    cfg = StackConfig(profile, {**spec, "release": release}, context=context, kubeconfig=kubeconfig)
    return run_mocked(cfg, renderer, stack=profile)


@pytest.mark.slow
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_object_in_both_releases_keeps_its_urn(renderer: Renderer, profile: str) -> None:
    old_run, new_run = _run(renderer, profile, "v1.11.0"), _run(renderer, profile, "26.03")
    old, new = object_urns(old_run), object_urns(new_run)
    both = old.keys() & new.keys()
    assert len(both) > 500, "the two releases share most of their objects"
    moved = sorted(f"{'/'.join(i)}: {old[i]} -> {new[i]}" for i in both if old[i] != new[i])
    assert moved == []
    gone = old.keys() - new.keys()
    assert all(i[1] != "PersistentVolumeClaim" for i in gone), "a release drops a claim: see kubeforge diff"


def _plan_urns(plan: Plan) -> dict[Identity, str]:
    groups = {
        n.name: f"urn:pulumi:s::kubeforge::kubeforge:platform:{n.owner.kind}$kubernetes:yaml/v2:ConfigGroup::{n.name}"
        for n in plan.nodes
    }
    return {
        identity(o): child_urn(groups[n.name], n.prefix, o) for n in plan.nodes if not n.is_secret for o in n.objects
    }


def test_wave_numbers_do_not_name_anything(renderer: Renderer) -> None:
    """Every wave shifted by one (what a new CRD or webhook upstream does): no node and no object is renamed."""
    run = _run(renderer, "kind", "26.03")
    render = run.deployed.render
    w = render.waves
    shifted = WavePlan(
        waves=[Wave(0, "empty", [])] + [Wave(x.index + 1, x.name, x.gates, x.members) for x in w.waves],
        wave_of=[x + 1 for x in w.wave_of],
        webhook_backends=w.webhook_backends,
        admission=w.admission,
        broken=w.broken,
    )
    before = plan_stack(render)
    after = plan_stack(dataclasses.replace(render, waves=shifted))
    assert [n.wave + 1 for n in before.nodes] == [n.wave for n in after.nodes]
    assert [n.name for n in before.nodes] == [n.name for n in after.nodes]
    assert _plan_urns(before) == _plan_urns(after)
