"""The static proof: required flows allowed, forbidden flows denied, on the real render and at scale."""

from __future__ import annotations

import copy

import pytest
from harness import RenderOf

from kubeforge.check.reachability import forbidden_flows, reachability_findings, required_flows, synthetic_objects
from kubeforge.k8s import name_of
from kubeforge.netpol import Network, check_flows
from kubeforge.release.store import load_lock
from kubeforge.render import Render

from .teams import spec_with_teams, teams_of


@pytest.mark.parametrize("profile", ["kind", "production"])
def test_rendered_platform_passes_the_reachability_check(profile: str, render_of: RenderOf) -> None:
    render = render_of(profile)
    spec, objects = render.spec, render.objects
    assert reachability_findings(spec, objects) == []
    names = {f.name.split("[")[0] for f in forbidden_flows(spec, objects)}
    assert {"team-to-kube-system", "team-to-auth:5556", "team-to-dns-metrics"} <= names
    assert len(required_flows(spec, objects)) > 100


def test_dropping_a_policy_is_caught(kind_render: Render) -> None:
    spec, objects = kind_render.spec, kind_render.objects
    broken = [o for o in objects if not (o["kind"] == "NetworkPolicy" and name_of(o) == "allow-dns")]
    rules = {(f.rule, f.message.split(":")[0]) for f in reachability_findings(spec, broken)}
    assert ("reachability/required", "team-dns[kubeflow-user-example-com]") in rules


def test_an_allow_all_is_caught(production_render: Render) -> None:
    spec, objects = production_render.spec, production_render.objects
    team = spec.teams[0].name
    leak = copy.deepcopy(
        next(o for o in objects if o["kind"] == "NetworkPolicy" and o["metadata"].get("namespace") == team)
    )
    leak["metadata"]["name"] = "oops-allow-all"
    leak["spec"] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}
    found = [f for f in reachability_findings(spec, [*objects, leak]) if f.rule == "reachability/forbidden"]
    assert any("team-to-kube-system" in f.message for f in found)


@pytest.mark.parametrize("n", [1, 10, pytest.param(1000, marks=pytest.mark.slow)])
def test_teams_isolated_at_scale(n: int, kind_render: Render) -> None:
    scaled = spec_with_teams(n)
    from kubeforge.isolation.registry import SERVER_OBJECTS, team_registries
    from kubeforge.isolation.stores import IDENTITIES_SECRET, isolate_stores
    from kubeforge.security import platform_security

    # SeaweedFS's per-team identities come from the render's teams: give it the scaled teams'.
    kept = [o for o in kind_render.upstream_objects() if o["metadata"]["name"] != IDENTITIES_SECRET]
    upstream = isolate_stores(scaled, load_lock(scaled.release), kept)
    # The render's one team has its own model registry: its objects are the template for every scaled team.
    first = kind_render.spec.teams[0].name
    templates = [
        {**o, "metadata": {**o["metadata"], "namespace": "kubeflow"}}
        for o in kind_render.objects
        if o["metadata"].get("namespace") == first and (o["kind"], name_of(o)) in SERVER_OBJECTS
    ]
    everything = [
        *upstream,
        *platform_security(scaled, upstream),
        *teams_of(scaled, upstream),
        *team_registries(scaled, templates),
    ]
    findings = reachability_findings(scaled, everything)
    assert findings == []
    forbidden = forbidden_flows(scaled, everything)
    assert len([f for f in forbidden if f.name.startswith("team-to-team")]) == (n if n > 1 else 0)


def test_team_only_network_without_platform(kind_render: Render) -> None:
    spec = spec_with_teams(3)
    net = Network.from_objects([*teams_of(spec, kind_render.upstream_objects()), *synthetic_objects(spec)])
    results = {r.flow.name: r for r in check_flows(net, forbidden_flows(spec, []))}
    assert all(r.passed for r in results.values()), [r.message for r in results.values() if not r.passed]
