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
    ]


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


def test_digest_pinned_images_pass() -> None:
    objs = good_platform()
    _container(objs).update(image="ghcr.io/kubeflow/app@sha256:" + "0" * 64)
    assert evaluate(objs, PolicyContext(kind=False)) == []
