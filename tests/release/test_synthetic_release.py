"""A release kubeforge has never seen, made here from the mirror's files: a component the profile enables is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from harness import REPO

from kubeforge.errors import BadInput
from kubeforge.release.lockgen import generate, mirror_roots
from kubeforge.release.store import load_definition, load_lock, lock_json
from kubeforge.render.order import enabled_components
from kubeforge.spec import load_spec


def release_without(tmp_path: Path, upstream: Path, component: str) -> Path:
    """manifests/ with v1.11.0 lacking `component`: its release.yaml edited, its lock generated afresh."""
    manifests = tmp_path / "manifests"
    shutil.copytree(REPO / "manifests", manifests)
    path = manifests / "v1.11.0" / "release.yaml"
    data = yaml.safe_load(path.read_text())
    del data["components"][component]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    definition = load_definition("v1.11.0", manifests)
    lock = generate(definition, path.read_bytes(), mirror_roots(definition, upstream))
    (manifests / "v1.11.0" / "lock.json").write_text(lock_json(lock))
    return manifests


def test_a_component_the_release_lacks_is_off(tmp_path: Path, upstream: Path) -> None:
    manifests = release_without(tmp_path, upstream, "model-registry")
    o = tmp_path / "o.yaml"
    o.write_text("release: v1.11.0\n")
    spec = load_spec("kind", [o], manifests=manifests)  # kind enables model-registry
    assert spec.components["model-registry"].enabled
    lock = load_lock("v1.11.0", manifests)
    assert "model-registry" not in enabled_components(spec, lock)
    assert "notebooks" in enabled_components(spec, lock)


def test_a_component_no_release_knows_stays_an_error(tmp_path: Path, upstream: Path) -> None:
    manifests = release_without(tmp_path, upstream, "model-registry")
    o = tmp_path / "o.yaml"
    o.write_text("release: v1.11.0\ncomponents:\n  jupyterhub: {enabled: true}\n")
    with pytest.raises(BadInput, match=r"components.jupyterhub: unknown component 'jupyterhub'"):
        load_spec("kind", [o], manifests=manifests)
