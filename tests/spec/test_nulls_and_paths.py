"""Overrides remove keys with null (`components.X: null` switches X off); --profile takes a path too."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeforge.errors import BadInput
from kubeforge.spec import load_spec


def test_null_switches_a_component_off(tmp_path: Path) -> None:
    o = tmp_path / "o.yaml"
    o.write_text("components:\n  model-registry: null\n")
    assert load_spec("kind").enabled("model-registry")
    assert not load_spec("kind", [o]).enabled("model-registry")


def test_null_returns_a_field_to_its_default(tmp_path: Path) -> None:
    o = tmp_path / "o.yaml"
    o.write_text("sizing: null\n")
    kind = load_spec("kind")
    default = type(kind.sizing)()
    assert kind.sizing != default  # kind sets its own sizing
    assert load_spec("kind", [o]).sizing == default


def test_profile_by_path(tmp_path: Path) -> None:
    mine = tmp_path / "laptop.yaml"
    mine.write_text("extends: kind\ncomponents:\n  katib: {enabled: false}\n")
    spec = load_spec(str(mine))
    assert spec.profile == "laptop"
    assert not spec.enabled("katib") and spec.cluster == load_spec("kind").cluster


def test_profile_path_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"^--profile: unknown profile .*nope.yaml"):
        load_spec(str(tmp_path / "nope.yaml"))
