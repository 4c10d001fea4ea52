"""Custom resources against a hand-written CRD in the same object list."""

from __future__ import annotations

import copy
from typing import Any

from kubeforge.check.crd import crd_to_json_schema
from kubeforge.check.validate import validate_objects

from .conftest import K8S

WIDGET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}},
        "spec": {
            "type": "object",
            "required": ["size"],
            "x-kubernetes-validations": [{"rule": "self.size <= 10", "message": "at most 10"}],
            "properties": {
                "size": {"type": "integer", "minimum": 1},
                "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                "note": {"type": "string", "nullable": True},
                "mode": {"type": "string", "enum": ["a", "b"], "nullable": True},
                "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "x-kubernetes-preserve-unknown-fields": True,
                },
                "child": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "properties": {"spec": {"type": "object", "properties": {"x": {"type": "string"}}}},
                },
                "tuning": {
                    "type": "object",
                    "x-kubernetes-validations": [{"rule": "has(self.rate)"}],
                    "properties": {"rate": {"type": "number", "minimum": 0, "exclusiveMinimum": True}},
                },
            },
        },
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}

CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.kubeforge.io"},
    "spec": {
        "group": "example.kubeforge.io",
        "scope": "Namespaced",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
        "versions": [
            {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}},
            {"name": "v1alpha1", "served": False, "storage": False, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}},
        ],
    },
}
WIDGET_ID = "example.kubeforge.io/Widget/demo/w"


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.kubeforge.io/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "demo"},
        "spec": {"size": 3, **spec},
    }


def errors(*objs: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f.rule, f.path, f.message) for f in validate_objects([CRD, *objs], K8S) if f.severity == "error"]


def cel_infos(*objs: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f.object, f.path, f.message) for f in validate_objects([CRD, *objs], K8S) if f.severity == "info"]


def test_crd_itself_and_a_good_resource_pass() -> None:
    good = widget(
        port=8080,
        note="n",
        config={"anything": {"goes": [1]}},
        labels={"a": "b"},
        template={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 1}},
        child={"apiVersion": "v1", "kind": "X", "metadata": {"labels": {}}, "spec": {"x": "y"}},
    )
    good["status"] = {"whatever": True}
    assert errors(good) == []


def test_wrong_type() -> None:
    assert errors(widget(size="3")) == [("schema/crd", "spec.size", "'3' is not of type 'integer'")]


def test_unknown_field_is_reported_although_the_api_server_would_prune_it() -> None:
    assert errors(widget(colour="red")) == [
        ("schema/crd", "spec", "Additional properties are not allowed ('colour' was unexpected)")
    ]


def test_unknown_top_level_field() -> None:
    obj = widget()
    obj["extra"] = 1
    assert errors(obj) == [("schema/crd", "", "Additional properties are not allowed ('extra' was unexpected)")]


def test_missing_required_field() -> None:
    obj = widget()
    del obj["spec"]["size"]
    assert errors(obj) == [("schema/crd", "spec", "'size' is a required property")]


def test_int_or_string_accepts_both_and_nothing_else() -> None:
    assert errors(widget(port=80), widget(port="http")) == []
    assert errors(widget(port=1.5)) == [("schema/crd", "spec.port", "1.5 is not valid under any of the given schemas")]


def test_nullable_accepts_null_only_where_declared() -> None:
    assert errors(widget(note=None, mode=None)) == []
    assert errors(widget(mode="c")) == [("schema/crd", "spec.mode", "'c' is not one of ['a', 'b', None]")]
    assert errors(widget(size=None)) == [("schema/crd", "spec.size", "None is not of type 'integer'")]


def test_preserve_unknown_fields_keeps_unknown_fields_only_there() -> None:
    assert errors(widget(config={"deep": {"free": "form"}})) == []
    obj = widget(child={"apiVersion": "v1", "kind": "X", "spec": {"x": "y", "y": 1}})
    assert errors(obj) == [
        ("schema/crd", "spec.child.spec", "Additional properties are not allowed ('y' was unexpected)")
    ]


def test_openapi_v3_exclusive_minimum_is_boolean() -> None:
    assert errors(widget(tuning={"rate": 0.5})) == []
    assert errors(widget(tuning={"rate": 0})) == [
        ("schema/crd", "spec.tuning.rate", "0 is less than or equal to the minimum of 0")
    ]


def test_resource_metadata_is_checked_as_object_meta() -> None:
    obj = widget()
    obj["metadata"]["labelz"] = {"a": "b"}
    assert errors(obj) == [
        ("schema/openapi", "metadata", "Additional properties are not allowed ('labelz' was unexpected)")
    ]


def test_cel_rules_reached_are_reported_once_per_crd() -> None:
    infos = cel_infos(widget(), widget(), widget(tuning={"rate": 1.0}), widget(tuning={"rate": 2.0}))
    assert sorted(infos) == [
        (WIDGET_ID, "spec", "CEL rule not checked: self.size <= 10"),
        (WIDGET_ID, "spec.tuning", "CEL rule not checked: has(self.rate)"),
    ]


def test_cel_rule_not_on_the_path_is_not_reported() -> None:
    assert cel_infos(widget()) == [(WIDGET_ID, "spec", "CEL rule not checked: self.size <= 10")]


def test_cel_note_does_not_hide_an_error() -> None:
    findings = validate_objects([CRD, widget(size=0)], K8S)
    assert [(f.severity, f.rule) for f in findings] == [("error", "schema/crd"), ("info", "schema/cel-not-checked")]


def test_unserved_version_is_unknown() -> None:
    obj = widget()
    obj["apiVersion"] = "example.kubeforge.io/v1alpha1"
    (finding,) = [f for f in validate_objects([CRD, obj], K8S) if f.severity == "error"]
    assert finding.rule == "schema/unknown-kind"
    assert "does not serve example.kubeforge.io/v1alpha1 (served: v1)" in finding.message


def test_kind_defined_by_no_crd_is_an_error() -> None:
    (finding,) = validate_objects([widget()], K8S)
    assert (finding.rule, finding.severity, finding.object) == ("schema/unknown-kind", "error", WIDGET_ID)
    assert "no CustomResourceDefinition in the set defines it" in finding.message


def test_conversion_rules() -> None:
    schema = crd_to_json_schema(WIDGET_SCHEMA)
    spec = schema["properties"]["spec"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["metadata"] == {"type": "object"}
    assert spec["properties"]["port"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert spec["properties"]["note"]["type"] == ["string", "null"]
    assert "additionalProperties" not in spec["properties"]["config"]
    assert spec["properties"]["labels"]["additionalProperties"] == {"type": "string"}
    assert set(spec["properties"]["child"]["properties"]) == {"apiVersion", "kind", "metadata", "spec"}
    assert spec["x-kubeforge-cel"] == ["self.size <= 10"]


def test_value_validation_branches_do_not_prune() -> None:
    # anyOf branches may name a subset of the properties: they must not reject the others.
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "anyOf": [{"required": ["a"], "properties": {"a": {"minLength": 1}}}, {"required": ["b"]}],
    }
    converted = crd_to_json_schema(schema)
    assert all("additionalProperties" not in b for b in converted["anyOf"])


def test_nullable_int_or_string() -> None:
    schema = {"type": "object", "properties": {"q": {"x-kubernetes-int-or-string": True, "nullable": True}}}
    assert crd_to_json_schema(schema)["properties"]["q"]["anyOf"] == [
        {"type": "integer"},
        {"type": "string"},
        {"type": "null"},
    ]


def test_duplicate_crd_in_the_list_is_harmless() -> None:
    assert validate_objects([CRD, copy.deepcopy(CRD), widget()], K8S) == [validate_objects([CRD, widget()], K8S)[0]]
