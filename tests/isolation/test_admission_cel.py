"""The admission baseline's own CEL expressions, evaluated by a real CEL implementation (cel-rust,
`common-expression-language`) on the two-team render and on planted NetworkPolicies and RoleBindings.

Simulated here, not by a control plane: the API server's evaluation order (variables, then each
validation) and Kubernetes' strings extension `split`, which cel-rust lacks and the test registers
with Kubernetes' meaning (`'a,b'.split(',') == ['a', 'b']`). The e2e control plane runs them for real."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.spec.model import PlatformSpec

cel = pytest.importorskip("cel")
Render = tuple[PlatformSpec, list[KObj]]


def _admits(policy: KObj, obj: KObj, namespace: KObj) -> list[str]:
    """Messages of the validations `obj` fails (empty: admitted)."""
    ctx = cel.Context()
    ctx.add_function("split", lambda s, sep: s.split(sep))
    ctx.add_variable("object", obj)
    ctx.add_variable("namespaceObject", namespace)
    variables: dict[str, Any] = {}
    for v in policy["spec"].get("variables") or []:
        ctx.add_variable("variables", variables)
        variables[v["name"]] = cel.evaluate(v["expression"], ctx)
    ctx.add_variable("variables", variables)
    return [v["message"] for v in policy["spec"]["validations"] if cel.evaluate(v["expression"], ctx) is not True]


def _policy(objects: list[KObj], name: str) -> KObj:
    return next(o for o in objects if o["kind"] == "ValidatingAdmissionPolicy" and name_of(o) == name)


def _ns(objects: list[KObj], team: str) -> KObj:
    return next(o for o in objects if o["kind"] == "Namespace" and name_of(o) == team)


def _netpol(team: str, **spec: Any) -> KObj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "mine", "namespace": team},
        "spec": {"podSelector": {}, **spec},
    }


def test_every_rendered_team_policy_is_admitted(two_teams: Render) -> None:
    _, objects = two_teams
    policy = _policy(objects, "kubeforge-team-network-baseline")
    for team in ("alpha", "beta"):
        for np in (o for o in objects if o["kind"] == "NetworkPolicy" and namespace_of(o) == team):
            assert _admits(policy, np, _ns(objects, team)) == [], name_of(np)


def _ip(cidr: str, *excepts: str) -> dict[str, Any]:
    block: dict[str, Any] = {"cidr": cidr}
    if excepts:
        block["except"] = list(excepts)
    return {"ipBlock": block}


PRIVATE = ("10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")


@pytest.mark.parametrize(
    ("team", "spec", "refused"),
    [
        ("alpha", {"egress": [{}]}, "egress"),  # the review's finding: one rule undoes default-deny
        ("alpha", {"egress": [{"to": [_ip("169.254.169.254/32")]}]}, "egress"),
        ("alpha", {"egress": [{"to": [_ip("0.0.0.0/0", *PRIVATE)]}]}, "egress"),  # alpha has no internet
        ("beta", {"egress": [{"to": [_ip("0.0.0.0/0", "10.0.0.0/8")]}]}, "egress"),  # metadata not excluded
        ("alpha", {"egress": [{"to": [{"namespaceSelector": {}}]}]}, "egress"),  # every namespace
        (
            "alpha",
            {"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "beta"}}}]}]},
            "egress",
        ),
        ("alpha", {"ingress": [{}]}, "ingress"),
        (
            "alpha",
            {
                "ingress": [
                    {"from": [{"namespaceSelector": {"matchExpressions": [{"key": "x", "operator": "Exists"}]}}]}
                ]
            },
            "ingress",
        ),
        ("alpha", {"ingress": [{"from": [_ip("0.0.0.0/0")]}]}, "ingress"),
    ],
)
def test_widening_policies_are_refused(two_teams: Render, team: str, spec: dict[str, Any], refused: str) -> None:
    _, objects = two_teams
    messages = _admits(_policy(objects, "kubeforge-team-network-baseline"), _netpol(team, **spec), _ns(objects, team))
    assert len(messages) == 1 and messages[0].startswith(refused), messages


@pytest.mark.parametrize(
    ("team", "spec"),
    [
        ("alpha", {"egress": [{"to": [_ip("10.20.0.0/16")]}]}),  # its allow-list
        ("beta", {"egress": [{"to": [_ip("0.0.0.0/0", *PRIVATE)]}]}),  # internet, private and metadata excluded
        ("alpha", {"ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "x"}}}]}]}),  # own namespace
    ],
)
def test_narrowing_policies_are_admitted(two_teams: Render, team: str, spec: dict[str, Any]) -> None:
    _, objects = two_teams
    policy = _policy(objects, "kubeforge-team-network-baseline")
    assert _admits(policy, _netpol(team, **spec), _ns(objects, team)) == []


def test_role_bindings_in_a_team_grant_only_team_roles(two_teams: Render) -> None:
    _, objects = two_teams
    policy = _policy(objects, "kubeforge-team-role-bindings")
    bindings = [o for o in objects if o["kind"] == "RoleBinding" and namespace_of(o) == "alpha"]
    # Every binding the render puts in a team passes (a team role, or Prometheus's discovery Role).
    assert all(_admits(policy, b, _ns(objects, "alpha")) == [] for b in bindings)
    binding = next(b for b in bindings if b["roleRef"]["kind"] == "ClusterRole")
    admin = copy.deepcopy(binding)
    admin["roleRef"]["name"] = "cluster-admin"
    assert len(_admits(policy, admin, _ns(objects, "alpha"))) == 1
    own = copy.deepcopy(binding)
    own["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "helpers"}
    assert _admits(policy, own, _ns(objects, "alpha")) == []
