from __future__ import annotations

import json

import pytest

from kubeforge.findings import Finding, findings_from_json, findings_to_json, has_errors, json_path


def test_sorts_errors_first_then_by_object_and_path() -> None:
    info = Finding("schema/cel-not-checked", "info", "a/A/ns/x", "CEL rule not checked: r")
    err_b = Finding("schema/openapi", "error", "b/B/ns/y", "bad")
    err_a = Finding("schema/openapi", "error", "a/A/ns/x", "bad", "spec.z")
    warn = Finding("checkov/not-scanned", "warning", "a/A/ns/x", "skipped")
    assert sorted([info, err_b, warn, err_a]) == [err_a, err_b, warn, info]


def test_json_round_trip_and_hashable() -> None:
    f = Finding("schema/openapi", "error", "apps/Deployment/demo/web", "'two' is not of type", "spec.replicas")
    text = findings_to_json([f])
    assert json.loads(text) == [
        {
            "rule": "schema/openapi",
            "severity": "error",
            "object": "apps/Deployment/demo/web",
            "message": "'two' is not of type",
            "path": "spec.replicas",
        }
    ]
    assert findings_from_json(text) == [f]
    assert len({f, Finding.from_dict(f.to_dict())}) == 1


def test_rejects_unknown_severity() -> None:
    with pytest.raises(ValueError, match="severity"):
        Finding("x", "fatal", "o", "m")  # type: ignore[arg-type]


def test_has_errors() -> None:
    assert not has_errors([Finding("r", "warning", "o", "m")])
    assert has_errors([Finding("r", "warning", "o", "m"), Finding("r", "error", "o", "m")])


def test_json_path_quotes_keys_that_look_nested() -> None:
    assert json_path(["spec", "containers", 0, "image"]) == "spec.containers[0].image"
    assert json_path(["metadata", "labels", "app.kubernetes.io/name"]) == 'metadata.labels["app.kubernetes.io/name"]'
    assert json_path([]) == ""
