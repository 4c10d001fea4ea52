"""Every policy rule violated once, on a platform that otherwise passes: the rule fires, and only it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from harness import find

from kubeforge.policy import RULES, PolicyContext, evaluate

KObj = dict[str, Any]


def namespace(name: str, **labels: str) -> KObj:
    pss = {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "v1.34",
    }
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {**pss, **labels}}}


def deny_all(ns: str) -> KObj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def deployment(ns: str, name: str, **pod: Any) -> KObj:
    container = {
        "name": "main",
        "image": "ghcr.io/kubeflow/app:v1.0.0",
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"template": {"metadata": {}, "spec": {"containers": [container], **pod}}},
    }


def good_platform() -> list[KObj]:
    team = namespace("team-a", **{"kubeforge.io/team": "team-a"})
    return [
        namespace("istio-system"),
        namespace("kubeflow"),
        team,
        deny_all("istio-system"),
        deny_all("kubeflow"),
        deny_all("team-a"),
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": "istio-system"},
            "spec": {"mtls": {"mode": "STRICT"}},
        },
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "team-a"}, "spec": {}},
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l", "namespace": "team-a"}, "spec": {}},
        deployment("kubeflow", "web"),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "db",
                "namespace": "kubeflow",
                "annotations": {"kubeforge.io/generated-secret": "password"},
            },
            "stringData": {"username": "root"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "dex", "namespace": "auth"},
            "data": {"config.yaml": "issuer: https://x/dex\nconnectors: []\n"},
        },
        *team_isolation_objects(),
    ]


def team_isolation_objects() -> list[KObj]:
    """What a team namespace holds that the isolation rules read: roles, bindings, mesh policies,
    its artifact-store Secret and an egress allow-list."""
    rbac = "rbac.authorization.k8s.io"
    view = {
        "apiVersion": f"{rbac}/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "kubeflow-view"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"aggregate-to-view": "true"}}]},
        "rules": [],
    }
    piece = {
        "apiVersion": f"{rbac}/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "view-piece", "labels": {"aggregate-to-view": "true"}},
        "rules": [{"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["get", "list"]}],
    }
    binding = {
        "apiVersion": f"{rbac}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "viewer", "namespace": "team-a"},
        "roleRef": {"apiGroup": rbac, "kind": "ClusterRole", "name": "kubeflow-view"},
        "subjects": [{"apiGroup": rbac, "kind": "User", "name": "v@example.com"}],
    }
    viewer_policy = {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "viewer", "namespace": "team-a"},
        "spec": {
            "action": "ALLOW",
            "rules": [
                {
                    "from": [{"source": {"principals": ["cluster.local/ns/istio-system/sa/gw"]}}],
                    "to": [
                        {
                            "operation": {
                                "methods": ["GET", "HEAD"],
                                "notPaths": ["/notebook/*", "/tensorboard/*"],
                            }
                        }
                    ],
                    "when": [{"key": "request.headers[kubeflow-userid]", "values": ["v@example.com"]}],
                }
            ],
        },
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "store",
            "namespace": "team-a",
            "annotations": {"kubeforge.io/generated-secret": "accesskey=s3-key.team-a"},
        },
    }
    egress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "egress", "namespace": "team-a"},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"ipBlock": {"cidr": "10.0.0.10/32"}}], "ports": [{"protocol": "TCP", "port": 443}]},
                {
                    "to": [
                        {
                            "ipBlock": {
                                "cidr": "0.0.0.0/0",
                                "except": ["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16"],
                            }
                        }
                    ]
                },
            ],
        },
    }
    return [view, piece, binding, viewer_policy, secret, egress]


def _container(objs: list[KObj]) -> dict[str, Any]:
    c: dict[str, Any] = find(objs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    return c


VIOLATIONS: dict[str, Callable[[list[KObj]], None]] = {
    "KF001": lambda o: find(o, "PeerAuthentication", "default")["spec"]["mtls"].update(mode="PERMISSIVE"),
    "KF002": lambda o: o.remove(
        find([x for x in o if x["metadata"].get("namespace") == "kubeflow"], "NetworkPolicy", "default-deny")
    ),
    "KF003": lambda o: o.append(
        {
            **deny_all("kubeflow"),
            "metadata": {"name": "open", "namespace": "kubeflow"},
            "spec": {"podSelector": {}, "ingress": [{}]},
        }
    ),
    "KF004": lambda o: find(o, "Namespace", "kubeflow")["metadata"]["labels"].pop(
        "pod-security.kubernetes.io/enforce-version"
    ),
    "KF005": lambda o: _container(o)["resources"].pop("limits"),
    "KF006": lambda o: find(o, "Deployment", "web")["spec"]["template"]["spec"].update(hostNetwork=True),
    "KF007": lambda o: _container(o).update(image="ghcr.io/kubeflow/app:latest"),
    "KF008": lambda o: o.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "kubeflow"},
            "data": {"p": "MTIzNA=="},
        }
    ),
    "KF009": lambda o: find(o, "ConfigMap", "dex")["data"].update(
        {"config.yaml": "issuer: https://x/dex\nstaticPasswords:\n- email: a@b.c\n"}
    ),
    "KF010": lambda o: o.remove(find(o, "LimitRange", "l")),
    # The review's finding: upstream's seaweedfs-service carries a `{}` rule.
    "KF011": lambda o: o.append(
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "store", "namespace": "kubeflow"},
            "spec": {"action": "ALLOW", "rules": [{}]},
        }
    ),
    # Upstream's kubeflow-kubernetes-edit: NetworkPolicy writes aggregated into a team role.
    "KF012": lambda o: find(o, "ClusterRole", "view-piece")["rules"].append(
        {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["create", "patch"]}
    ),
    # The platform's S3 key in a team's Secret.
    "KF013": lambda o: o.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "platform-store",
                "namespace": "kubeflow",
                "annotations": {"kubeforge.io/generated-secret": "accesskey=s3-key.team-a"},
            },
        }
    ),
    # A viewer's policy as upstream's KFAM writes it: every path and method.
    "KF014": lambda o: find(o, "AuthorizationPolicy", "viewer")["spec"]["rules"][0].pop("to"),
    # API server egress as kubeadm rendered it before: the whole of 10/8.
    "KF015": lambda o: find(o, "NetworkPolicy", "egress")["spec"]["egress"][0]["to"][0]["ipBlock"].update(
        cidr="10.0.0.0/8"
    ),
}


def test_the_good_platform_passes_every_rule() -> None:
    assert evaluate(good_platform(), PolicyContext(kind=False)) == []


def test_every_rule_has_a_violation_case_and_a_reason() -> None:
    assert {r.id for r in RULES} == set(VIOLATIONS)
    assert all(r.reason and r.severity == "error" for r in RULES)


@pytest.mark.parametrize("rule", sorted(VIOLATIONS))
def test_each_violation_is_caught_by_its_rule_only(rule: str) -> None:
    objs = copy.deepcopy(good_platform())
    VIOLATIONS[rule](objs)
    findings = evaluate(objs, PolicyContext(kind=False))
    assert findings, rule
    assert {f.rule for f in findings} == {f"policy/{rule}"}


def test_kind_allows_literal_secrets_and_static_users() -> None:
    objs = good_platform()
    VIOLATIONS["KF008"](objs)
    VIOLATIONS["KF009"](objs)
    assert evaluate(objs, PolicyContext(kind=True)) == []


def test_untagged_image_and_privileged_container_are_caught_with_the_allow_list_respected() -> None:
    objs = good_platform()
    _container(objs).update(image="nginx", securityContext={"privileged": True})
    cni = deployment("kube-system", "istio-cni-node", hostNetwork=True)
    cni["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    objs.append(cni)
    messages = [f.message for f in evaluate(objs, PolicyContext(kind=False))]
    assert any("has no tag" in m for m in messages)
    assert any("is privileged" in m for m in messages)
    assert not any("istio-cni-node" in f.object for f in evaluate(objs, PolicyContext(kind=False)))


def test_config_default_image_version_latest_is_caught() -> None:
    objs = good_platform()
    explainers = '{"art": {"image": "kserve/art-explainer", "defaultImageVersion": "latest"}}'
    example = '# _example: {"defaultImageVersion": "latest"}'
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "inferenceservice-config", "namespace": "kubeflow"},
            "data": {"explainers": explainers, "_example": example},
        }
    )
    findings = evaluate(objs, PolicyContext(kind=False))
    assert [(f.rule, f.message) for f in findings] == [
        ("policy/KF007", "explainers.art.defaultImageVersion is 'latest': images it names float")
    ]


def test_team_subject_bound_in_a_platform_namespace_is_caught() -> None:
    objs = good_platform()
    objs.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "exec", "namespace": "kubeflow"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-view"},
            "subjects": [{"kind": "ServiceAccount", "name": "default-editor", "namespace": "team-a"}],
        }
    )
    assert [f.rule for f in evaluate(objs, PolicyContext(kind=False))] == ["policy/KF012"]


def test_open_policies_on_the_exception_list_pass_with_their_reason() -> None:
    from kubeforge.policy.isolation_rules import OPEN_POLICIES

    objs = good_platform()
    objs.append(
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "AuthorizationPolicy",
            "metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
            "spec": {"action": "ALLOW", "rules": [{}]},
        }
    )
    assert evaluate(objs, PolicyContext(kind=False)) == []
    assert all(p.reason for p in OPEN_POLICIES)


def test_digest_pinned_images_pass() -> None:
    objs = good_platform()
    _container(objs).update(image="ghcr.io/kubeflow/app@sha256:" + "0" * 64)
    assert evaluate(objs, PolicyContext(kind=False)) == []


def _rbac(kind: str, name: str, namespace: str | None = None, **rest: Any) -> KObj:
    md: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": md, **rest}


def _piece_grants(group: str, resource: str, verbs: list[str]) -> Callable[[list[KObj]], None]:
    def plant(objs: list[KObj]) -> None:
        rule = {"apiGroups": [group], "resources": [resource], "verbs": verbs}
        find(objs, "ClusterRole", "view-piece")["rules"].append(rule)

    return plant


def _team_binding_to(role: str) -> Callable[[list[KObj]], None]:
    def plant(objs: list[KObj]) -> None:
        ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}
        subject = {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "m@example.com"}
        objs.append(_rbac("ClusterRole", role, rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]))
        objs.append(_rbac("RoleBinding", "planted", "team-a", roleRef=ref, subjects=[subject]))

    return plant


def _team_user_in(namespace: str | None) -> Callable[[list[KObj]], None]:
    def plant(objs: list[KObj]) -> None:
        ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kubeflow-view"}
        subject = {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "v@example.com"}
        kind = "RoleBinding" if namespace else "ClusterRoleBinding"
        objs.append(_rbac(kind, "planted", namespace, roleRef=ref, subjects=[subject]))

    return plant


# Each class of KF012 the issue names, planted on the good platform: every one is caught by KF012 only.
TENANT_ROLE_CLASSES: dict[str, Callable[[list[KObj]], None]] = {
    "endpoints writes": _piece_grants("", "endpoints", ["create", "update"]),
    "endpointslices writes": _piece_grants("discovery.k8s.io", "endpointslices", ["create"]),
    "networkpolicies delete": _piece_grants("networking.k8s.io", "networkpolicies", ["delete"]),
    "wildcard verbs on networkpolicies": _piece_grants("networking.k8s.io", "networkpolicies", ["*"]),
    "bind cluster roles": _piece_grants("rbac.authorization.k8s.io", "clusterroles", ["bind"]),
    "escalate roles": _piece_grants("rbac.authorization.k8s.io", "roles", ["escalate"]),
    "a team binding to another ClusterRole": _team_binding_to("edit"),
    "a team person bound in a platform namespace (pods/exec there)": _team_user_in("kubeflow"),
    "a team person bound cluster-wide": _team_user_in(None),
}


@pytest.mark.parametrize("case", sorted(TENANT_ROLE_CLASSES))
def test_each_tenant_role_class_is_caught_by_kf012(case: str) -> None:
    objs = copy.deepcopy(good_platform())
    TENANT_ROLE_CLASSES[case](objs)
    findings = evaluate(objs, PolicyContext(kind=False))
    assert findings and {f.rule for f in findings} == {"policy/KF012"}, (case, findings)


def test_a_credential_shared_between_two_teams_is_caught_by_kf013() -> None:
    objs = copy.deepcopy(good_platform())
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "team-b", "labels": {"kubeforge.io/team": "team-b"}},
        }
    )
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "store",
                "namespace": "team-b",
                "annotations": {"kubeforge.io/generated-secret": "accesskey=s3-key.team-a"},
            },
        }
    )
    # (A bare new namespace also lacks its quota, labels and default-deny: only KF013 is asserted here.)
    shared = [f for f in evaluate(objs, PolicyContext(kind=False)) if f.rule == "policy/KF013"]
    assert {f.object.rsplit("/", 2)[-2] for f in shared} == {"team-a", "team-b"}
    assert all("s3-key.team-a" in f.message for f in shared)
