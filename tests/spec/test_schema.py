"""The spec's JSON schema documents every field: `kubeforge spec schema` is the spec's reference."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kubeforge.spec import PlatformSpec

SCHEMA = PlatformSpec.model_json_schema()
DEFS: dict[str, Any] = SCHEMA.get("$defs", {})


def models() -> Iterator[tuple[str, dict[str, Any]]]:
    yield "PlatformSpec", SCHEMA
    yield from DEFS.items()


def refs(node: Any) -> Iterator[str]:
    """Names of the models a property schema refers to, through anyOf/items/additionalProperties."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref.removeprefix("#/$defs/")
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def documented(prop: dict[str, Any]) -> bool:
    if prop.get("description"):
        return True
    targets = list(refs(prop))
    return bool(targets) and all(DEFS[name].get("description") for name in targets)


@pytest.mark.parametrize(("model", "schema"), list(models()), ids=[name for name, _ in models()])
def test_every_property_is_documented(model: str, schema: dict[str, Any]) -> None:
    assert schema.get("type") == "object"
    undocumented = [name for name, prop in schema.get("properties", {}).items() if not documented(prop)]
    assert undocumented == [], f"{model}: add a description to {undocumented} in kubeforge/spec/model.py"


def test_every_model_is_documented_and_reachable() -> None:
    assert [name for name, schema in models() if not schema.get("description")] == []
    reachable = set(refs(SCHEMA.get("properties", {})))
    for name in list(reachable):
        reachable |= set(refs(DEFS[name]))
    assert reachable == set(DEFS)


def test_the_walk_sees_nested_models() -> None:
    # Guards the test itself: a list of models, a map of models and an optional model are all followed.
    props = SCHEMA["properties"]
    assert list(refs(props["teams"])) == ["Team"]
    assert list(refs(props["components"])) == ["ComponentSpec"]
    assert set(refs(DEFS["ComponentSpec"]["properties"]["requests"])) == {"Resources"}
    assert set(refs(DEFS["IdentitySpec"]["properties"]["connectors"])) == {
        "OIDCConnector",
        "LDAPConnector",
        "GitHubConnector",
    }
