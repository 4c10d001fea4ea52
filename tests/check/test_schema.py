"""Built-in kinds against kubernetes-validate's strict schemas."""

from __future__ import annotations

import pytest

from kubeforge.check.schema import openapi_schemas, schema_dir, shipped_versions
from kubeforge.check.validate import validate_objects
from kubeforge.errors import BadInput
from kubeforge.findings import Finding

from .conftest import K8S, deployment

WEB = "apps/Deployment/demo/web"


def errors(obj: dict, version: str = K8S) -> list[tuple[str, str, str]]:
    return [(f.rule, f.path, f.message) for f in validate_objects([obj], version) if f.severity == "error"]


def test_good_objects_have_no_findings() -> None:
    objs = [
        deployment(),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo", "labels": {"a": "b"}}},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "demo"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "demo"},
            "spec": {"podSelector": {}},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "r"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        },
    ]
    assert validate_objects(objs, K8S) == []


def test_wrong_type_reports_path_and_message() -> None:
    assert errors(deployment(replicas="two")) == [
        ("schema/openapi", "spec.replicas", "'two' is not of type 'integer', 'null'")
    ]


def test_unknown_field_is_an_error_in_strict_mode() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    assert errors(obj) == [
        (
            "schema/openapi",
            "spec.template.spec.containers[0]",
            "Additional properties are not allowed ('imagePullPolicyy' was unexpected)",
        )
    ]


def test_unknown_metadata_field() -> None:
    obj = deployment()
    obj["metadata"]["label"] = {"a": "b"}
    assert errors(obj) == [
        ("schema/openapi", "metadata", "Additional properties are not allowed ('label' was unexpected)")
    ]


def test_missing_required_field() -> None:
    obj = deployment()
    del obj["spec"]["selector"]
    del obj["spec"]["template"]["spec"]["containers"][0]["name"]
    assert errors(obj) == [
        ("schema/openapi", "spec", "'selector' is a required property"),
        ("schema/openapi", "spec.template.spec.containers[0]", "'name' is a required property"),
    ]


def test_every_error_of_one_object_is_reported() -> None:
    obj = deployment(replicas="two", paused="yes")
    obj["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": "80"}]
    assert {f.path for f in validate_objects([obj], K8S)} == {
        "spec.replicas",
        "spec.paused",
        "spec.template.spec.containers[0].ports[0].containerPort",
    }


def test_finding_names_the_object() -> None:
    (finding,) = validate_objects([deployment(replicas="two")], K8S)
    assert finding == Finding("schema/openapi", "error", WEB, "'two' is not of type 'integer', 'null'", "spec.replicas")


def test_removed_api_version_is_unknown_with_hint() -> None:
    cron = {"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "d"}}
    (finding,) = validate_objects([cron], K8S)
    assert finding.rule == "schema/unknown-kind"
    assert "served: batch/v1" in finding.message


def test_group_is_matched_exactly_not_by_file_name() -> None:
    # kubernetes-validate's file names drop the group's domain: networking.istio.io/v1 would look like
    # networking.k8s.io/v1. Without an Istio CRD this must be an unknown kind, not a NetworkPolicy check.
    obj = {"apiVersion": "networking.fake.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "x"}}
    (finding,) = validate_objects([obj], K8S)
    assert finding.rule == "schema/unknown-kind"


def test_object_without_kind() -> None:
    (finding,) = validate_objects([{"apiVersion": "v1", "metadata": {"name": "x"}}], K8S)
    assert (finding.rule, finding.severity) == ("schema/unknown-kind", "error")


@pytest.mark.parametrize("spelling", ["1.34", "v1.34", "1.34.2"])
def test_version_spellings_map_to_the_shipped_dir(spelling: str) -> None:
    assert schema_dir(spelling).name == "v1.34.0-local-strict"


@pytest.mark.parametrize("version", ["1.12", "1.99", "latest", ""])
def test_unshipped_version_is_bad_input(version: str) -> None:
    with pytest.raises(BadInput, match="no shipped schema"):
        validate_objects([deployment()], version)


def test_shipped_versions_cover_the_supported_range() -> None:
    versions = shipped_versions()
    assert "1.25" in versions and "1.34" in versions
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))))


def test_schemas_and_validators_are_built_once() -> None:
    s = openapi_schemas(K8S)
    assert openapi_schemas(K8S) is s
    assert s.definition_validator("io.k8s.api.apps.v1.Deployment") is s.definition_validator(
        "io.k8s.api.apps.v1.Deployment"
    )


def test_kind_added_in_a_later_version() -> None:
    # ValidatingAdmissionPolicy went GA (admissionregistration.k8s.io/v1) in 1.30.
    vap = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "p"},
        "spec": {"validations": [{"expression": "true"}]},
    }
    assert validate_objects([vap], "1.30") == []
    assert [f.rule for f in validate_objects([vap], "1.29")] == ["schema/unknown-kind"]
