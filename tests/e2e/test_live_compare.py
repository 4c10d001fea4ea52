"""The rendered-vs-live comparison of the e2e proofs (no tools needed: runs under make test too)."""

from __future__ import annotations

from e2e.harness.live import compare, quantity


def test_only_rendered_fields_count_and_quantities_compare_by_value() -> None:
    rendered = {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c", "resources": {
        "requests": {"cpu": "0.5", "memory": "1024Mi"}}}]}}}, "status": {}}  # fmt: skip
    live = {"spec": {"replicas": 1, "progressDeadlineSeconds": 600, "template": {"spec": {"containers": [
        {"name": "c", "terminationMessagePath": "/dev/termination-log",
         "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}}},
        "metadata": {"uid": "x"}}  # fmt: skip
    assert compare(rendered, live) == []


def test_a_changed_value_a_missing_field_and_a_shorter_list_are_differences() -> None:
    rendered = {"spec": {"replicas": 2, "ports": [{"port": 80}, {"port": 443}], "paused": True}}
    live = {"spec": {"replicas": 1, "ports": [{"port": 80}]}}
    diffs = compare(rendered, live)
    assert any(d.startswith(".spec.replicas: rendered 2, live 1") for d in diffs)
    assert ".spec.paused: missing" in diffs
    assert any(d.startswith(".spec.ports: 2 items") for d in diffs)


def test_nulls_omitted_zero_values_and_status_are_no_differences() -> None:
    rendered = {"metadata": {"creationTimestamp": None}, "spec": {"env": [{"name": "A", "value": ""}],
        "initialDelaySeconds": 0, "preserveUnknownFields": False}, "status": {"storedVersions": []}}  # fmt: skip
    live = {"metadata": {"creationTimestamp": "2026-12-05T13:38:28Z"}, "spec": {"env": [{"name": "A"}]},
        "status": {"storedVersions": ["v1"]}}  # fmt: skip
    assert compare(rendered, live) == []
    # A zero value the server kept as something else is still a difference.
    assert compare({"spec": {"initialDelaySeconds": 0}}, {"spec": {"initialDelaySeconds": 5}}) != []
    assert compare({"spec": {"caBundle": ""}}, {"spec": {"caBundle": "Cg=="}}) != []


def test_secrets_compare_by_key_not_value() -> None:
    rendered = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "stringData": {"password": "placeholder"}}
    live = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque"}
    assert compare(rendered, {**live, "data": {"password": "c2VjcmV0"}}) == []
    assert compare(rendered, {**live, "data": {}}) == [".data.password: missing"]


def test_quantity() -> None:
    assert quantity("1Gi") == quantity("1024Mi") == quantity(2**30)
    assert quantity("100m") == quantity("0.1")
    assert quantity("1e3") == quantity("1k")
    assert quantity("fast") is None
