"""`kubeforge diff` on synthetic pairs: one test per danger, each with a pair that must not raise it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubeforge.diff import Danger, Side, diff_sides
from kubeforge.k8s import KObj


def side(objects: dict[str, list[KObj]], versions: dict[str, str] | None = None, release: str = "r") -> Side:
    return Side(release, release, "test", versions or dict.fromkeys(objects, "v1.0.0"), objects)


def crd(storage: str, served: list[str]) -> KObj:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [{"name": v, "served": True, "storage": v == storage} for v in served],
        },
    }


def dangers(old: list[KObj], new: list[KObj]) -> list[Danger]:
    return diff_sides(side({"c": old}), side({"c": new})).dangers


def test_stored_version_not_served_by_the_target_is_blocking() -> None:
    found = dangers([crd("v1beta1", ["v1beta1"])], [crd("v1", ["v1"])])
    assert [(d.severity, d.kind) for d in found] == [("blocking", "crd-version-unserved")]
    assert "stored as v1beta1" in found[0].why
    assert dangers([crd("v1beta1", ["v1beta1"])], [crd("v1beta1", ["v1beta1", "v1"])]) == []


def test_storage_version_change_asks_for_a_migration() -> None:
    found = dangers([crd("v1beta1", ["v1beta1", "v1"])], [crd("v1", ["v1beta1", "v1"])])
    assert [(d.severity, d.kind) for d in found] == [("migration", "storage-migration")]
    # A served version dropped while the stored one stays: clients must move, no data is at risk.
    found = dangers([crd("v1", ["v1alpha1", "v1"])], [crd("v1", ["v1"])])
    assert [(d.severity, d.kind) for d in found] == [("migration", "served-version-removed")]


def deployment(selector: dict[str, str], image: str = "app:1") -> KObj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": selector}, "spec": {"containers": [{"name": "web", "image": image}]}},
        },
    }


def service(spec: dict[str, Any]) -> KObj:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "ns"}, "spec": spec}


def statefulset(size: str) -> KObj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "ns"},
        "spec": {
            "selector": {"matchLabels": {"app": "db"}},
            "serviceName": "db",
            "volumeClaimTemplates": [
                {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": size}}}}
            ],
        },
    }


def job(image: str) -> KObj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "init", "namespace": "ns"},
        "spec": {"template": {"spec": {"containers": [{"name": "init", "image": image}]}}},
    }


def pvc(spec: dict[str, Any]) -> KObj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "ns"},
        "spec": spec,
    }


def binding(role: str) -> KObj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "b", "namespace": "ns"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}],
    }


RWO = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}
# (old, new, same-kind change that is not immutable, expected field, expected severity)
IMMUTABLE = {
    "workload selector": (
        deployment({"app": "web"}),
        deployment({"app": "web2"}),
        deployment({"app": "web"}, "app:2"),
        "spec.selector",
        "replace",
    ),
    "service clusterIP": (
        service({"clusterIP": "10.0.0.1"}),
        service({"clusterIP": "10.0.0.2"}),
        service({"clusterIP": "10.0.0.1", "ports": [{"port": 80}]}),
        "spec.clusterIP",
        "replace",
    ),
    "service type": (
        service({"type": "ClusterIP"}),
        service({"type": "NodePort"}),
        service({"type": "ClusterIP", "ports": [{"port": 81}]}),
        "spec.type",
        "replace",
    ),
    "statefulset claim templates": (
        statefulset("1Gi"),
        statefulset("2Gi"),
        {**statefulset("1Gi"), "metadata": {"name": "db", "namespace": "ns", "labels": {"a": "b"}}},
        "spec.volumeClaimTemplates",
        "replace",
    ),
    "job template": (
        job("init:1"),
        job("init:2"),
        {**job("init:1"), "metadata": {"name": "init", "namespace": "ns", "labels": {"a": "b"}}},
        "spec.template",
        "replace",
    ),
    "pvc spec": (
        pvc(RWO),
        pvc({**RWO, "storageClassName": "fast"}),
        pvc({**RWO, "resources": {"requests": {"storage": "20Gi"}}}),
        "spec",
        "blocking",
    ),
    "rolebinding roleRef": (
        binding("view"),
        binding("edit"),
        {**binding("view"), "subjects": []},
        "roleRef",
        "replace",
    ),
}


@pytest.mark.parametrize("case", sorted(IMMUTABLE))
def test_immutable_field_forces_a_replace(case: str) -> None:
    old, new, benign, field, severity = IMMUTABLE[case]
    found = dangers([old], [new])
    assert [(d.kind, d.severity) for d in found] == [("immutable-field", severity)], found
    assert found[0].why.startswith(f"{field} is immutable")
    assert dangers([old], [benign]) == [], "a mutable change of the same object is no danger"


def test_a_claim_cannot_shrink() -> None:
    found = dangers([pvc(RWO)], [pvc({**RWO, "resources": {"requests": {"storage": "5Gi"}}})])
    assert [(d.severity, d.why.split(" is")[0]) for d in found] == [("blocking", "spec.resources.requests.storage")]


@pytest.mark.parametrize(
    ("component", "old", "new", "through", "expected"),
    [
        ("knative", "v1.16.2", "v1.21.1", [], "blocking"),
        ("istio", "1.27.3", "1.29.0", [], "blocking"),
        ("istio", "1.28.0", "1.29.0", [], None),  # one minor: upstream's supported step
        ("knative", "v1.16.2", "v1.18.0", [("step-1.17", "v1.17.3")], "stepped"),
        ("knative", "v1.16.2", "v1.19.0", [("step-1.17", "v1.17.3")], "blocking"),  # 1.18 missing
        ("pipelines", "2.5.0", "2.16.0", [], None),  # not a one-minor-at-a-time component
        ("istio", "1.29.0", "1.27.0", [], "blocking"),  # downgrade by two
    ],
)
def test_one_minor_at_a_time_components(
    component: str, old: str, new: str, through: list[tuple[str, str]], expected: str | None
) -> None:
    report = diff_sides(
        side({component: []}, {component: old}), side({component: []}, {component: new}), {component: through}
    )
    assert [d.severity for d in report.dangers] == ([expected] if expected else [])
    if expected == "blocking" and old < new:
        assert "no pinned intermediate release" in report.dangers[0].why
    if expected == "stepped":
        assert "v1.17.3 (step-1.17)" in report.dangers[0].why


def namespace(name: str) -> KObj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def test_stateful_deletions_are_retained_and_reported() -> None:
    team_ns = namespace("team-a")
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}}
    old = side({"c": [pvc(RWO), crd("v1", ["v1"]), config, namespace("platform-ns")], "teams": [team_ns]})
    new = side({"c": [], "teams": []})
    report = diff_sides(old, new)
    assert sorted((d.severity, d.object) for d in report.dangers) == [
        ("retained", "CustomResourceDefinition/widgets.example.com"),
        ("retained", "Namespace/team-a"),
        ("retained", "PersistentVolumeClaim/ns/data"),
    ]
    assert all("never deleted" in d.why for d in report.dangers)
    assert sorted(report.components[0].removed) == [
        "ConfigMap/ns/c",
        "CustomResourceDefinition/widgets.example.com",
        "Namespace/platform-ns",
        "PersistentVolumeClaim/ns/data",
    ]


def test_changes_images_and_order() -> None:
    old = [deployment({"app": "web"}, "reg/app:1"), pvc(RWO)]
    new = [deployment({"app": "web2"}, "reg/app:2"), pvc({**RWO, "storageClassName": "x"}), namespace("extra")]
    report = diff_sides(side({"c": old}), side({"c": new}))
    comp = report.components[0]
    assert comp.added == ["Namespace/extra"]
    assert comp.changed["Deployment/ns/web"] == [
        "spec.selector.matchLabels.app",
        "spec.template.metadata.labels.app",
        "spec.template.spec.containers[web].image",
    ]
    assert comp.images == [("reg/app:1", "reg/app:2")]
    assert [d.severity for d in report.dangers] == ["blocking", "replace"], "blocking first"


def test_secret_values_are_never_compared_or_shown() -> None:
    secret: KObj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ns"},
        "data": {"k": "YQ=="},
    }
    other = copy.deepcopy(secret)
    other["data"]["k"] = "Yg=="
    assert diff_sides(side({"c": [secret]}), side({"c": [other]})).components[0].changed == {}
    other["data"]["k2"] = "Yw=="
    changed = diff_sides(side({"c": [secret]}), side({"c": [other]})).components[0].changed
    assert changed == {"Secret/ns/s": ["data.k2"]}
