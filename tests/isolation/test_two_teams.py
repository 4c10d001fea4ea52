"""Issue 15's findings on the production render with teams alpha and beta: each fixed, and the
check and the review seeing each class. Every test here fails on the render before the fix."""

from __future__ import annotations

import copy
import ipaddress
import json
import random
from decimal import Decimal
from typing import Any

import pytest
import yaml

from kubeforge.check.reachability import forbidden_flows, reachability_findings
from kubeforge.findings import Finding
from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.policy import PolicyContext, evaluate
from kubeforge.spec.model import PlatformSpec

Render = tuple[PlatformSpec, list[KObj]]


def identities(objects: list[KObj]) -> Any:
    from kubeforge.isolation.datapaths import identities as found

    return found(objects)


def role_grants(objects: list[KObj], role: str) -> Any:
    from kubeforge.policy.rbac import Rbac

    return Rbac(objects).role_grants("ClusterRole", role)


def can(grants: Any, group: str, resource: str, verb: str) -> bool:
    from kubeforge.policy.rbac import can as allowed

    return allowed(grants, group, resource, verb)


def _one(objects: list[KObj], kind: str, ns: str | None, name: str) -> KObj:
    return next(o for o in objects if o["kind"] == kind and namespace_of(o) == ns and name_of(o).startswith(name))


def _value_ids(obj: KObj) -> dict[str, str]:
    from kubeforge.secrets import parse_annotation

    return parse_annotation(obj["metadata"]["annotations"]["kubeforge.io/generated-secret"])


def _errors(spec: PlatformSpec, objects: list[KObj]) -> list[Finding]:
    findings = evaluate(objects, PolicyContext(kind=spec.is_kind)) + reachability_findings(spec, objects)
    return [f for f in findings if f.severity == "error"]


# --- 1: the artifact store ---------------------------------------------------------------------
def test_each_team_has_its_own_key_limited_to_its_own_prefixes(two_teams: Render) -> None:
    _, objects = two_teams
    platform = _value_ids(_one(objects, "Secret", "kubeflow", "mlpipeline-minio-artifact"))
    alpha = _value_ids(_one(objects, "Secret", "alpha", "mlpipeline-minio-artifact"))
    beta = _value_ids(_one(objects, "Secret", "beta", "mlpipeline-minio-artifact"))
    assert len({platform["accesskey"], alpha["accesskey"], beta["accesskey"]}) == 3
    by_key = {i.value_id: i for i in identities(objects)}
    assert by_key[platform["accesskey"]].actions == ("Admin",)  # the platform's key stays in kubeflow
    assert set(by_key[alpha["accesskey"]].actions) == {
        f"{a}:mlpipeline/{p}/alpha/*" for a in ("Read", "Write", "List") for p in ("private-artifacts", "private")
    }
    assert all("/beta" not in a and a != "Admin" for a in by_key[alpha["accesskey"]].actions)


def test_the_object_store_policy_has_no_allow_all_rule(two_teams: Render) -> None:
    _, objects = two_teams
    rules = _one(objects, "AuthorizationPolicy", "kubeflow", "seaweedfs-service")["spec"]["rules"]
    assert {} not in rules
    assert {"to": [{"operation": {"ports": ["8333"]}}]} in rules  # S3 only; IAM, master and filer need a principal


def test_a_key_shared_with_another_team_is_caught(two_teams: Render) -> None:
    spec, objects = two_teams
    planted = copy.deepcopy(objects)
    beta_secret = _one(planted, "Secret", "beta", "mlpipeline-minio-artifact")
    beta_secret["metadata"]["annotations"]["kubeforge.io/generated-secret"] = (
        "accesskey=kfp-s3-access-key.alpha,secretkey=kfp-s3-secret-key.alpha"
    )
    rules = {f.rule for f in _errors(spec, planted)}
    assert "policy/KF013" in rules


def test_a_team_identity_reaching_another_prefix_is_a_forbidden_flow(two_teams: Render) -> None:
    spec, objects = two_teams
    planted = copy.deepcopy(objects)
    dep = _one(planted, "Deployment", "kubeflow", "seaweedfs")
    command = dep["spec"]["template"]["spec"]["containers"][0]["lifecycle"]["postStart"]["exec"]["command"]
    command[-1] = command[-1].replace("Read:mlpipeline/private/alpha/*", "Read:mlpipeline/private-artifacts/beta/*", 1)
    messages = [f.message for f in _errors(spec, planted) if f.rule == "reachability/forbidden"]
    assert any(m.startswith("team-to-artifacts-prefix:beta[alpha]") for m in messages), messages
    # A wildcard over the whole bucket is caught as well.
    command[-1] = command[-1].replace("Write:mlpipeline/private/alpha/*", "Write:mlpipeline/*", 1)
    messages = [f.message for f in _errors(spec, planted) if f.rule == "reachability/forbidden"]
    assert any(m.startswith("team-to-artifacts-bucket[alpha]") for m in messages), messages


# --- 2: tenant roles and the admission baseline -------------------------------------------------
@pytest.mark.parametrize("role", ["kubeflow-admin", "kubeflow-edit", "kubeflow-view"])
def test_team_roles_cannot_write_network_policies_or_endpoints(two_teams: Render, role: str) -> None:
    _, objects = two_teams
    grants = role_grants(objects, role)
    for group, resource in (
        ("networking.k8s.io", "networkpolicies"),
        ("extensions", "networkpolicies"),
        ("", "endpoints"),
        ("discovery.k8s.io", "endpointslices"),
    ):
        for verb in ("create", "update", "patch", "delete", "deletecollection"):
            assert not can(grants, group, resource, verb), (role, resource, verb)
    if role != "kubeflow-view":
        assert can(grants, "", "pods", "create") and can(grants, "", "configmaps", "update")
        assert can(grants, "networking.k8s.io", "networkpolicies", "list")


def test_the_admission_baseline_binds_to_team_namespaces_with_their_allow_list(two_teams: Render) -> None:
    spec, objects = two_teams
    policies = {name_of(o): o for o in objects if o["kind"] == "ValidatingAdmissionPolicy"}
    bindings = {o["spec"]["policyName"] for o in objects if o["kind"] == "ValidatingAdmissionPolicyBinding"}
    assert {"kubeforge-team-network-baseline", "kubeforge-team-role-bindings"} <= set(policies) & bindings
    assert all(p["apiVersion"] == "admissionregistration.k8s.io/v1" for p in policies.values())
    rule = policies["kubeforge-team-network-baseline"]["spec"]["matchConstraints"]["resourceRules"][0]
    assert rule["resources"] == ["networkpolicies"] and set(rule["operations"]) == {"CREATE", "UPDATE"}
    alpha = _one(objects, "Namespace", None, "alpha")["metadata"]["annotations"]
    beta = _one(objects, "Namespace", None, "beta")["metadata"]["annotations"]
    assert alpha["kubeforge.io/egress-cidrs"] == ",".join(["10.20.0.0/16", *spec.cluster.api_server])
    assert alpha["kubeforge.io/internet-except"] == ""
    assert "0.0.0.0/0" in beta["kubeforge.io/egress-cidrs"].split(",")
    assert "169.254.0.0/16" in beta["kubeforge.io/internet-except"].split(",")


def test_every_team_network_policy_stays_within_what_the_baseline_admits(two_teams: Render) -> None:
    """What the CEL expressions test, stated over the rendered policies (the e2e control plane
    evaluates the expressions themselves): every peer is the namespace, a named platform namespace, or
    an address from the Namespace's allow-list."""
    from kubeforge.isolation.admission import EGRESS_NAMESPACES, INGRESS_NAMESPACES

    _, objects = two_teams
    for team in ("alpha", "beta"):
        allowed = set(
            _one(objects, "Namespace", None, team)["metadata"]["annotations"]["kubeforge.io/egress-cidrs"].split(",")
        )
        for np in (o for o in objects if o["kind"] == "NetworkPolicy" and namespace_of(o) == team):
            for direction, key, spaces in (
                ("egress", "to", EGRESS_NAMESPACES),
                ("ingress", "from", INGRESS_NAMESPACES),
            ):
                for rule in np["spec"].get(direction) or []:
                    assert rule.get(key), (name_of(np), rule)
                    for peer in rule[key]:
                        if "ipBlock" in peer:
                            assert direction == "egress" and peer["ipBlock"]["cidr"] in allowed
                        elif "namespaceSelector" in peer:
                            assert peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] in spaces


# --- 3: viewers ----------------------------------------------------------------------------------
def test_viewers_read_and_never_open_a_notebook(two_teams: Render) -> None:
    _, objects = two_teams
    viewer = _one(objects, "AuthorizationPolicy", "alpha", "user-avery-example-com")["spec"]["rules"]
    groups = _one(objects, "AuthorizationPolicy", "alpha", "team-groups")["spec"]["rules"]
    audit = next(r for r in groups if r["when"][0]["values"] == ["alpha-audit"])
    for rule in (*viewer, audit):
        op = rule["to"][0]["operation"]
        assert set(op["methods"]) == {"GET", "HEAD", "OPTIONS"}
        assert {"/notebook/*", "/tensorboard/*"} <= set(op["notPaths"])
    member = _one(objects, "AuthorizationPolicy", "alpha", "user-amy-example-com")["spec"]["rules"][0]
    assert "to" not in member


def test_a_viewer_policy_that_writes_is_caught(two_teams: Render) -> None:
    spec, objects = two_teams
    planted = copy.deepcopy(objects)
    _one(planted, "AuthorizationPolicy", "alpha", "user-avery-example-com")["spec"]["rules"][0].pop("to")
    assert {f.rule for f in _errors(spec, planted)} == {"policy/KF014"}


# --- 4: stores: one model registry per team, the shared ones named --------------------------------
def test_each_team_has_its_own_registry_closed_to_other_teams(two_teams: Render) -> None:
    spec, objects = two_teams
    assert not [o for o in objects if namespace_of(o) == "kubeflow" and name_of(o).startswith("model-registry-d")]
    assert _one(objects, "Deployment", "kubeflow", "model-registry-ui")  # the UI stays shared
    for team in ("alpha", "beta"):
        _one(objects, "Deployment", team, "model-registry-deployment")
        _one(objects, "Deployment", team, "model-registry-db")
        rules = _one(objects, "AuthorizationPolicy", team, "model-registry-service")["spec"]["rules"]
        callers = [r["from"][0]["source"] for r in rules]
        assert callers == [{"principals": ["cluster.local/ns/kubeflow/sa/model-registry-ui"]}, {"namespaces": [team]}]
        host = _one(objects, "DestinationRule", team, "model-registry-service")["spec"]["host"]
        assert host == f"model-registry-service.{team}.svc.cluster.local"
        keys = _value_ids(_one(objects, "Secret", team, "model-registry-db-secrets"))
        assert keys == {
            "MYSQL_PASSWORD": f"model-registry-db-password.{team}",
            "MYSQL_ROOT_PASSWORD": f"model-registry-db-root-password.{team}",
        }
        ui_in = _one(objects, "NetworkPolicy", team, "allow-model-registry-ui")["spec"]
        assert ui_in["podSelector"] == {"matchLabels": {"component": "model-registry-server"}}
    names = {f.name for f in forbidden_flows(spec, objects)}
    assert {
        "team-to-registry:beta[alpha]",
        "team-to-registry-db:alpha[beta]",
        "team-to-kfp-mysql:3306[alpha]",
        "team-to-metadata-envoy:9090[beta]",
        "team-to-seaweedfs-iam:8111[beta]",
    } <= names
    assert _errors(spec, objects) == []


def test_a_network_path_to_another_teams_registry_is_a_forbidden_flow(two_teams: Render) -> None:
    spec, objects = two_teams
    planted = copy.deepcopy(objects)
    beta = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "beta"}}}
    _one(planted, "NetworkPolicy", "alpha", "allow-platform-egress")["spec"]["egress"].append({"to": [beta]})
    ingress = _one(planted, "NetworkPolicy", "beta", "allow-model-registry-ui")["spec"]["ingress"]
    ingress.append({"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "alpha"}}}]})
    messages = [f.message for f in _errors(spec, planted) if f.rule == "reachability/forbidden"]
    assert any(m.startswith("team-to-registry:beta[alpha]") for m in messages), messages
    assert not any(m.startswith("team-to-registry:alpha[beta]") for m in messages), messages


@pytest.mark.parametrize(
    ("plant", "flow"),
    [
        ("namespaces", "team-to-registry:beta[alpha]"),
        ("principal", "team-to-registry:beta[alpha]"),
        ("any", "team-to-registry:beta[*]"),
        ("no-policy", "team-to-registry:beta[*]"),
        ("team-wide", "team-to-registry:beta[alpha]"),
        ("when", "team-to-registry:beta[alpha]"),
    ],
)
def test_a_registry_mesh_policy_admitting_another_team_is_caught(two_teams: Render, plant: str, flow: str) -> None:
    spec, objects = two_teams
    planted = copy.deepcopy(objects)
    policy = _one(planted, "AuthorizationPolicy", "beta", "model-registry-service")
    rules = policy["spec"]["rules"]
    if plant == "namespaces":
        rules[1]["from"][0]["source"]["namespaces"].append("alpha")
    elif plant == "principal":
        rules[0]["from"][0]["source"]["principals"].append("cluster.local/ns/alpha/sa/default-editor")
    elif plant == "any":
        rules.append({"to": [{"operation": {"methods": ["GET"]}}]})
    elif plant == "no-policy":  # no ALLOW policy selects the server: Istio admits every caller
        planted = [o for o in planted if not (o["kind"] == "AuthorizationPolicy" and namespace_of(o) == "beta")]
    elif plant == "team-wide":  # a policy without a selector covers the registry too
        team_wide = _one(planted, "AuthorizationPolicy", "beta", "ns-owner-access-istio")["spec"]["rules"]
        team_wide[1]["when"][0]["values"].append("alpha")
    else:  # a condition on the caller's namespace is the same grant as a source
        rules.append({"when": [{"key": "source.namespace", "values": ["alpha"]}]})
    messages = [f.message for f in _errors(spec, planted) if f.rule == "reachability/forbidden"]
    assert any(m.startswith(flow) for m in messages), messages


def test_shared_stores_are_named_on_every_check(two_teams: Render) -> None:
    from kubeforge.check.reachability import shared_store_findings

    spec, objects = two_teams
    found = shared_store_findings(spec, objects)
    assert {f.severity for f in found} == {"warning"}
    assert sorted(f.message.split(":")[0] for f in found) == [
        "team-to-katib-db[alpha]",
        "team-to-katib-db[beta]",
        "team-to-metadata[alpha]",
        "team-to-metadata[beta]",
    ]
    # Teams reach only the declared port of each: not the databases behind them, nor ML Metadata's proxy.
    planted = copy.deepcopy(objects)
    kfp_db = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kubeflow"}},
        "podSelector": {"matchLabels": {"app": "mysql"}},
    }
    _one(planted, "NetworkPolicy", "alpha", "allow-platform-egress")["spec"]["egress"].append({"to": [kfp_db]})
    opened = copy.deepcopy(_one(planted, "NetworkPolicy", "kubeflow", "allow-teams-kfp-api-8888-in"))
    opened["metadata"]["name"] = "planted-mysql-in"
    opened["spec"]["podSelector"] = {"matchLabels": {"app": "mysql"}}
    opened["spec"]["ingress"][0]["ports"] = [{"protocol": "TCP", "port": 3306}]
    planted.append(opened)
    messages = [f.message for f in _errors(spec, planted)]
    assert any(m.startswith("team-to-kfp-mysql:3306[alpha]") for m in messages), messages


# --- 5: the API server and egress allow-lists ----------------------------------------------------
def test_api_server_egress_is_pinned_to_its_addresses(two_teams: Render) -> None:
    spec, objects = two_teams
    rule = next(
        r
        for r in _one(objects, "NetworkPolicy", "alpha", "allow-platform-egress")["spec"]["egress"]
        if {"protocol": "TCP", "port": 6443} in r.get("ports", [])
    )
    assert [p["ipBlock"]["cidr"] for p in rule["to"]] == spec.cluster.api_server == ["10.0.0.10/32"]


def test_wide_private_egress_is_caught(two_teams: Render) -> None:
    spec, objects = two_teams
    planted = copy.deepcopy(objects)
    rule = next(
        r
        for r in _one(planted, "NetworkPolicy", "alpha", "allow-platform-egress")["spec"]["egress"]
        if {"protocol": "TCP", "port": 6443} in r.get("ports", [])
    )
    rule["to"] = [{"ipBlock": {"cidr": c}} for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    assert {f.rule for f in _errors(spec, planted)} == {"policy/KF015"}


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "169.254.0.0/16", "169.254.169.254/32", "128.0.0.0/1", "fe80::/64"])
def test_egress_allow_list_refuses_metadata_ranges(cidr: str, tmp_path: Any) -> None:
    from kubeforge.errors import BadInput
    from kubeforge.spec.load import load_spec

    doc = {
        "teams": [{"name": "alpha", "owners": ["a@example.com"], "egress": {"cidrs": [cidr]}}],
        "identity": {"groups": []},
    }
    (tmp_path / "o.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(BadInput) as info:
        load_spec("production", [tmp_path / "o.yaml"])
    assert "teams.0.egress.cidrs.0" in str(info.value) and "link-local" in str(info.value)


def test_egress_cidrs_are_refused_exactly_when_they_meet_link_local() -> None:
    """Property over many random blocks: accepted iff disjoint from 169.254.0.0/16."""
    from pydantic import ValidationError

    from kubeforge.spec.model import Egress

    link_local = ipaddress.ip_network("169.254.0.0/16")
    rng = random.Random(15)
    for _ in range(400):
        prefix = rng.randint(1, 32)
        net = ipaddress.ip_network((rng.getrandbits(32) >> (32 - prefix) << (32 - prefix), prefix))
        try:
            Egress(cidrs=[str(net)])
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == (not net.overlaps(link_local)), net


def test_metadata_flow_is_never_skipped(two_teams: Render) -> None:
    spec, objects = two_teams
    names = {f.name for f in forbidden_flows(spec, objects)}
    assert {"team-to-cloud-metadata[alpha]", "team-to-cloud-metadata[beta]", "team-to-internet[alpha]"} <= names


def test_api_server_required_outside_kind(tmp_path: Any) -> None:
    from kubeforge.errors import BadInput
    from kubeforge.spec.load import load_spec

    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"cluster": {"provider": "managed"}}))
    with pytest.raises(BadInput) as info:
        load_spec("p", profiles=tmp_path)
    assert "cluster.api_server" in str(info.value) and "needed outside kind" in str(info.value)


# --- 6: the cluster-local gateway ----------------------------------------------------------------
def test_local_gateway_reaches_only_queue_proxy_ports(two_teams: Render) -> None:
    _, objects = two_teams
    ingress = _one(objects, "NetworkPolicy", "beta", "allow-platform-ingress")["spec"]["ingress"]
    local = [
        r
        for r in ingress
        if r["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] != "kubeflow"
    ]
    assert all(r.get("ports") for r in local[1:])  # every rule but the ingress gateway's is port-limited
    gateway = next(
        r for r in ingress if r["from"][0]["podSelector"] == {"matchLabels": {"istio": "cluster-local-gateway"}}
    )
    assert gateway["ports"] == [{"protocol": "TCP", "port": 8012}, {"protocol": "TCP", "port": 8013}]


# --- 7: identity ---------------------------------------------------------------------------------
def _oauth2_proxy_settings(objects: list[KObj]) -> dict[str, str]:
    cfg = next(
        o["data"]["oauth2_proxy.cfg"]
        for o in objects
        if o["kind"] == "ConfigMap" and namespace_of(o) == "oauth2-proxy" and "oauth2_proxy.cfg" in o.get("data", {})
    )
    return dict(line.split(" = ", 1) for line in cfg.splitlines() if " = " in line and not line.startswith("#"))


def test_sign_in_is_limited_to_team_groups_and_sessions_are_bounded(two_teams: Render) -> None:
    _, objects = two_teams
    settings = _oauth2_proxy_settings(objects)
    assert settings["allowed_groups"] == '[ "alpha-audit", "alpha-devs" ]'
    assert settings["email_domains"] == '[ "example.com" ]'
    assert settings["cookie_refresh"] == '"50m"'
    params = _one(objects, "ConfigMap", "oauth2-proxy", "oauth2-proxy-parameters")["data"]
    assert params["ALLOW_SELF_SIGNED_ISSUER"] == "false"
    dex = yaml.safe_load(_one(objects, "ConfigMap", "auth", "dex")["data"]["config.yaml"])
    assert dex["logger"]["level"] == "info"
    refresh = dex["expiry"]["refreshTokens"]
    assert dex["expiry"]["idTokens"] == "1h" and refresh["absoluteLifetime"] == "24h"
    assert refresh["validIfNotUsedFor"] == "12h"


@pytest.mark.parametrize(
    ("teams", "domains", "groups"),
    [
        ([{"name": "g", "owners": ["o@corp.example"], "groups": {"members": ["g-devs"]}}], '[ "corp.example" ]', True),
        ([], "[]", False),  # nobody to let in: nobody signs in, never any e-mail domain
    ],
)
def test_email_domains_are_never_any_domain_alone(tmp_path: Any, teams: Any, domains: str, groups: bool) -> None:
    from kubeforge.identity import _oauth2_proxy_cfg
    from kubeforge.spec.load import load_spec

    (tmp_path / "o.yaml").write_text(yaml.safe_dump({"teams": teams, "identity": {"groups": []}}))
    spec = load_spec("production", [tmp_path / "o.yaml"])
    cfg = _oauth2_proxy_cfg('provider = "oidc"\n', spec)
    settings = dict(line.split(" = ", 1) for line in cfg.splitlines() if " = " in line)
    assert settings["email_domains"] == domains
    assert ("allowed_groups" in settings) == groups


def test_dex_and_oauth2_proxy_are_in_the_mesh_with_one_issuer(two_teams: Render) -> None:
    spec, objects = two_teams
    for ns in ("auth", "oauth2-proxy"):
        assert _one(objects, "Namespace", None, ns)["metadata"]["labels"]["istio-injection"] == "enabled"
    # Under the mesh-wide STRICT, the one plain-text port is Dex's, and its policy opens only the keys to it.
    permissive = [
        o for o in objects if o["kind"] == "PeerAuthentication" and namespace_of(o) in ("auth", "oauth2-proxy")
    ]
    assert [(name_of(p), p["spec"]["portLevelMtls"]) for p in permissive] == [
        ("permissive-dex-jwks", {"5556": {"mode": "PERMISSIVE"}})
    ]
    dex_rules = _one(objects, "AuthorizationPolicy", "auth", "dex")["spec"]["rules"]
    assert dex_rules[0]["from"][0]["source"]["principals"] == [
        "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
        "cluster.local/ns/oauth2-proxy/sa/oauth2-proxy",
    ]
    assert dex_rules[1] == {
        "from": [{"source": {"notPrincipals": ["*"]}}],
        "to": [{"operation": {"methods": ["GET"], "paths": ["/dex/keys"]}}],
    }
    proxy_rules = _one(objects, "AuthorizationPolicy", "oauth2-proxy", "oauth2-proxy")["spec"]["rules"]
    assert proxy_rules == [
        {
            "from": [
                {"source": {"principals": ["cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"]}}
            ]
        }
    ]
    # One issuer everywhere: Dex's own, oauth2-proxy's, and every RequestAuthentication's.
    issuer = yaml.safe_load(_one(objects, "ConfigMap", "auth", "dex")["data"]["config.yaml"])["issuer"]
    settings = _oauth2_proxy_settings(objects)
    assert settings["oidc_issuer_url"] == f'"{issuer}"'
    assert settings["redeem_url"] == f'"{issuer}/token"' and settings["oidc_jwks_url"] == f'"{issuer}/keys"'
    rules = [r for o in objects if o["kind"] == "RequestAuthentication" for r in o["spec"]["jwtRules"]]
    assert rules and {r["issuer"] for r in rules} == {issuer}
    assert {r["jwksUri"] for r in rules if "jwksUri" in r} == {f"{issuer}/keys"}
    # The plain-text path is exactly the one istiod fetches.
    assert f"{issuer}/keys".endswith(dex_rules[1]["to"][0]["operation"]["paths"][0])
    assert _errors(spec, objects) == []


def test_an_identity_policy_opening_more_than_the_keys_is_caught(two_teams: Render) -> None:
    spec, objects = two_teams
    planted = copy.deepcopy(objects)
    _one(planted, "AuthorizationPolicy", "oauth2-proxy", "oauth2-proxy")["spec"]["rules"].append(
        {"from": [{"source": {"notPrincipals": ["*"]}}]}
    )
    assert {f.rule for f in _errors(spec, planted)} == {"policy/KF011"}


# --- 9: Pod Security, floating images, database users ----------------------------------------------
def test_teams_enforce_restricted(two_teams: Render) -> None:
    _, objects = two_teams
    for team in ("alpha", "beta"):
        assert (
            _one(objects, "Namespace", None, team)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
            == "restricted"
        )


def test_no_floating_runtime_image_version(two_teams: Render) -> None:
    _, objects = two_teams
    config = _one(objects, "ConfigMap", "kubeflow", "inferenceservice-config")["data"]
    assert json.loads(config["explainers"])["art"]["defaultImageVersion"] == "v0.16.0"


def test_databases_are_not_reached_as_root(two_teams: Render) -> None:
    import base64

    _, objects = two_teams
    kfp = _one(objects, "Secret", "kubeflow", "mysql-secret")["data"]
    registry = _one(objects, "Secret", "alpha", "model-registry-db-secrets")["data"]
    assert base64.b64decode(kfp["username"]) == b"kfp"
    assert base64.b64decode(registry["MYSQL_USER_NAME"]) == b"model-registry"
    server = _one(objects, "Deployment", "alpha", "model-registry-deployment")
    args = " ".join(server["spec"]["template"]["spec"]["containers"][0]["args"])
    assert "$(MYSQL_USER_NAME):$(MYSQL_PASSWORD)@" in args


# --- the check and the review on the same render ---------------------------------------------------
def test_the_render_passes_check_and_every_open_policy_has_its_reason(two_teams: Render) -> None:
    from kubeforge.policy.isolation_rules import OPEN_POLICIES

    spec, objects = two_teams
    assert _errors(spec, objects) == []
    planted = copy.deepcopy(objects)
    _one(planted, "AuthorizationPolicy", "kubeflow", "ml-pipeline")["spec"]["rules"].append({})
    assert {f.rule for f in _errors(spec, planted)} == {"policy/KF011"}
    assert len(OPEN_POLICIES) == len({(p.namespace, p.name) for p in OPEN_POLICIES})


def test_upstream_edit_role_is_caught_when_it_comes_back(two_teams: Render) -> None:
    spec, objects = two_teams
    planted = copy.deepcopy(objects)
    _one(planted, "ClusterRole", None, "kubeflow-kubernetes-edit")["rules"].append(
        {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["create", "patch", "delete"]}
    )
    findings = _errors(spec, planted)
    assert {f.rule for f in findings} == {"policy/KF012"}
    assert any("alpha/default-editor" in f.object for f in findings)


def test_review_names_who_can_do_what_and_new_grants(two_teams: Render) -> None:
    from kubeforge.review import build_review, new_grants, to_markdown

    spec, objects = two_teams
    report = build_review(spec, objects)
    alpha = next(t for t in report["teams"] if t["team"] == "alpha")
    assert {"subject": "User avery@example.com", "role": "ClusterRole kubeflow-view"} in alpha["rbac"]
    assert alpha["artifacts"]["identity"] == "team-alpha"
    assert "core/endpoints" in report["roles"]["kubeflow-edit"]
    assert "create" not in report["roles"]["kubeflow-edit"]["core/endpoints"]
    assert {p["policy"] for p in report["open_policies"]} >= {"kubeflow/seaweedfs-service"}
    assert any("component=metadata-grpc-server" in s["to"] for s in report["shared_stores"])
    assert new_grants(report, report) == []
    planted = copy.deepcopy(objects)
    _one(planted, "ClusterRole", None, "kubeflow-kubernetes-edit")["rules"].append(
        {"apiGroups": [""], "resources": ["endpoints"], "verbs": ["create"]}
    )
    added = new_grants(build_review(spec, planted), report)
    assert (
        "role kubeflow-edit: create core/endpoints" in added and "role kubeflow-admin: create core/endpoints" in added
    )
    assert "## Team alpha" in to_markdown(report)


# --- the team's own platform pods come on top of its quota ------------------------------------------
def test_the_teams_own_platform_pods_come_on_top_of_its_quota(kind_render: Any) -> None:
    """kind's team quota (4 CPU) could not hold the team's own platform pods with their sidecars (5 CPU of
    limits: the last one would be refused at admission): the render adds them on top, sidecars included,
    so the spec's whole quota stays the team's."""
    from kubeforge.k8s import pod_spec
    from kubeforge.spec.quantity import parse_quantity

    spec, objects = kind_render.spec, kind_render.objects
    team = spec.teams[0]
    quota = _one(objects, "ResourceQuota", team.name, "team-quota")
    hard = quota["spec"]["hard"]
    pods = [o for o in objects if namespace_of(o) == team.name and pod_spec(o) is not None]
    assert {name_of(p) for p in pods} >= {"model-registry-deployment", "model-registry-db", "ml-pipeline-ui-artifact"}
    for key, asked in (("limits.cpu", team.quota.cpu), ("limits.memory", team.quota.memory)):
        kind, res = key.split(".")
        used = Decimal(0)
        for p in pods:
            template = p["spec"]["template"]
            per_pod = sum(parse_quantity(str(c["resources"][kind][res])) for c in pod_spec(p)["containers"])  # type: ignore[index]
            if template["metadata"].get("labels", {}).get("sidecar.istio.io/inject") != "false":
                annotation = {"cpu": "sidecar.istio.io/proxyCPULimit", "memory": "sidecar.istio.io/proxyMemoryLimit"}[
                    res
                ]
                per_pod += parse_quantity(template["metadata"]["annotations"][annotation])
            used += per_pod * int(p["spec"].get("replicas", 1))
        assert parse_quantity(str(hard[key])) == parse_quantity(str(asked)) + used, (key, used, hard[key])
    assert "limits.cpu=" in quota["metadata"]["annotations"]["kubeforge.io/platform-share"]
