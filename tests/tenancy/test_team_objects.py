"""Every team has every object, and nothing of one team grants anything to another."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.names import INGRESS_GATEWAY_SA, KFP_API_SA, KFP_UI_SA, NOTEBOOK_CONTROLLER_SA, PLATFORM_NAMESPACES
from kubeforge.render import Render
from kubeforge.spec.load import load_spec

from .teams import spec_with_teams, teams_of

EXPECTED = {
    ("Namespace", None),
    ("Profile", None),
    ("ServiceAccount", "default-editor"),
    ("ServiceAccount", "default-viewer"),
    ("RoleBinding", "namespaceAdmin"),
    ("RoleBinding", "default-editor"),
    ("RoleBinding", "default-viewer"),
    ("ResourceQuota", "team-quota"),
    ("LimitRange", "team-limits"),
    ("NetworkPolicy", "default-deny"),
    ("NetworkPolicy", "allow-same-namespace"),
    ("NetworkPolicy", "allow-dns"),
    ("NetworkPolicy", "allow-platform-ingress"),
    ("NetworkPolicy", "allow-platform-egress"),
    ("NetworkPolicy", "allow-egress-list"),
    ("PeerAuthentication", "strict-mtls"),
    ("AuthorizationPolicy", "ns-owner-access-istio"),
    ("AuthorizationPolicy", "team-groups"),
    ("RequestAuthentication", "dex-jwt"),
    ("Secret", "mlpipeline-minio-artifact"),
    ("ConfigMap", "kfp-launcher"),
    ("ConfigMap", "metadata-grpc-configmap"),
    ("ConfigMap", "artifact-repositories"),
    ("Deployment", "ml-pipeline-ui-artifact"),
    ("Service", "ml-pipeline-ui-artifact"),
    ("Deployment", "ml-pipeline-visualizationserver"),
    ("Service", "ml-pipeline-visualizationserver"),
}
PLATFORM_PRINCIPALS = {INGRESS_GATEWAY_SA, KFP_UI_SA, KFP_API_SA, NOTEBOOK_CONTROLLER_SA}


@pytest.fixture(scope="module")
def kfp_upstream(kind_render: Render) -> list[KObj]:
    """The kind render's upstream objects: KFP's object store is read from them."""
    return kind_render.upstream_objects()


def _team_of(obj: KObj) -> str:
    return namespace_of(obj) or name_of(obj)


def _by_team(objects: list[KObj]) -> dict[str, list[KObj]]:
    out: dict[str, list[KObj]] = defaultdict(list)
    for o in objects:
        out[_team_of(o)].append(o)
    return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("n", [1, 10, 1000])
def test_every_team_has_every_object_and_nothing_crosses_teams(n: int, kfp_upstream: list[KObj]) -> None:
    spec = spec_with_teams(n)
    objects = teams_of(spec, kfp_upstream)
    teams = _by_team(objects)
    owner_of = {}
    for t in spec.teams:
        for ident in (t.name, *t.owners, *t.members, *t.viewers, *t.groups.members):
            owner_of[ident] = t.name
    assert sorted(teams) == sorted(t.name for t in spec.teams)
    for name, objs in teams.items():
        have = {(o["kind"], None if o["kind"] in ("Namespace", "Profile") else name_of(o)) for o in objs}
        assert have >= EXPECTED, f"{name} misses {sorted(EXPECTED - have, key=str)}"
        for o in objs:
            assert o["metadata"]["labels"]["app.kubernetes.io/component"] == "teams"
            for text in _strings(o):
                # A namespace, person or group named anywhere in this team's objects is this team's own.
                assert owner_of.get(text, name) == name, (name, o["kind"], name_of(o), text)
            for principal in (s for s in _strings(o.get("spec")) if s.startswith("cluster.local/")):
                assert principal in PLATFORM_PRINCIPALS, principal


def test_namespace_labels_profile_and_quota(kfp_upstream: list[KObj]) -> None:
    spec = load_spec("kind")
    objs = {(o["kind"], name_of(o)): o for o in teams_of(spec, kfp_upstream)}
    team = spec.teams[0]
    ns = objs[("Namespace", team.name)]["metadata"]
    assert ns["labels"]["istio-injection"] == "enabled"
    assert ns["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert ns["labels"]["pod-security.kubernetes.io/warn"] == "restricted"
    assert ns["labels"]["pod-security.kubernetes.io/audit"] == "restricted"
    assert ns["labels"]["pod-security.kubernetes.io/enforce-version"] == "v1.34"
    assert ns["labels"]["kubeforge.io/team"] == team.name
    assert ns["annotations"]["owner"] == "user@example.com"
    assert objs[("Profile", team.name)]["spec"]["owner"] == {"kind": "User", "name": "user@example.com"}
    hard = objs[("ResourceQuota", "team-quota")]["spec"]["hard"]
    assert (
        hard["requests.nvidia.com/gpu"] == "0"
        and hard["requests.cpu"] == "4"
        and hard["persistentvolumeclaims"] == "10"
    )
    assert hard["requests.storage"] == "50Gi"
    limits = objs[("LimitRange", "team-limits")]["spec"]["limits"][0]
    assert limits["default"] == {"cpu": "1", "memory": "1Gi"}
    assert limits["defaultRequest"] == {"cpu": "50m", "memory": "128Mi"}


def test_roles_and_groups_follow_the_spec(kfp_upstream: list[KObj]) -> None:
    spec = load_spec("production")
    objs = teams_of(spec, kfp_upstream)
    bindings = {name_of(o): o for o in objs if o["kind"] == "RoleBinding"}
    assert bindings["namespaceAdmin"]["roleRef"]["name"] == "kubeflow-admin"
    assert bindings["namespaceAdmin"]["subjects"][0]["name"] == "lead@example.com"
    member = bindings["user-scientist-example-com-clusterrole-kubeflow-edit"]
    assert member["roleRef"]["name"] == "kubeflow-edit" and member["metadata"]["annotations"] == {
        "role": "edit",
        "user": "scientist@example.com",
    }
    assert bindings["user-auditor-example-com-clusterrole-kubeflow-view"]["roleRef"]["name"] == "kubeflow-view"
    groups = {
        b["subjects"][0]["name"]: b["roleRef"]["name"] for b in bindings.values() if b["subjects"][0]["kind"] == "Group"
    }
    assert groups == {"ml-research-admins": "kubeflow-admin", "ml-research": "kubeflow-edit"}
    aps = {name_of(o): o for o in objs if o["kind"] == "AuthorizationPolicy"}
    owner_rule = aps["ns-owner-access-istio"]["spec"]["rules"][0]
    assert owner_rule["when"] == [{"key": "request.headers[kubeflow-userid]", "values": ["lead@example.com"]}]
    member_ap = aps["user-scientist-example-com-clusterrole-kubeflow-edit"]["spec"]["rules"][0]
    assert member_ap["when"][0]["values"] == ["scientist@example.com"]


def test_network_policies_deny_by_default_and_open_only_the_egress_list(kfp_upstream: list[KObj]) -> None:
    spec = spec_with_teams(2)
    pols = {
        (namespace_of(o), name_of(o)): o["spec"] for o in teams_of(spec, kfp_upstream) if o["kind"] == "NetworkPolicy"
    }
    assert pols[("team-0000", "default-deny")] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    internet = pols[("team-0000", "allow-egress-list")]["egress"][0]["to"][0]["ipBlock"]
    assert (
        internet["cidr"] == "0.0.0.0/0"
        and "169.254.0.0/16" in internet["except"]
        and "10.0.0.0/8" in internet["except"]
    )
    cidr = pols[("team-0001", "allow-egress-list")]["egress"]
    assert cidr == [{"to": [{"ipBlock": {"cidr": "10.0.1.0/24"}}]}]


def test_deterministic_and_no_platform_namespace(kfp_upstream: list[KObj]) -> None:
    spec = spec_with_teams(10)
    first, second = teams_of(spec, kfp_upstream), teams_of(spec, kfp_upstream)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert not {namespace_of(o) for o in first} & set(PLATFORM_NAMESPACES)


def test_pipelines_disabled_drops_the_kfp_objects(kfp_upstream: list[KObj]) -> None:
    data = spec_with_teams(1).model_dump(mode="json")
    data["components"]["pipelines"] = {"enabled": False}
    from kubeforge.spec.model import PlatformSpec

    spec = PlatformSpec.model_validate(data)
    objs = teams_of(spec, kfp_upstream)
    assert not [o for o in objs if name_of(o).startswith("ml-pipeline") or name_of(o) == "kfp-launcher"]
    ns = next(o for o in objs if o["kind"] == "Namespace")
    assert "pipelines.kubeflow.org/enabled" not in ns["metadata"]["labels"]
