"""Fixtures: a verified source cache shared by all workers, and full renders of the kind and production profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubeforge.fetch import fetch_release
from kubeforge.release.store import load_lock
from kubeforge.render import Render, render_platform
from kubeforge.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def shared_cache() -> Path:
    """One cache for every worker: writes into it are atomic renames, so sharing is safe."""
    return Path(os.environ.get("KUBEFORGE_CACHE") or ROOT / ".cache" / "kubeforge")


def mirror() -> Path:
    return Path(os.environ.get("KUBEFORGE_MIRROR") or ROOT.parent / "shared" / "upstream")


@pytest.fixture(scope="session")
def source_cache() -> Path:
    cache = shared_cache()
    for release in ("26.03", "v1.11.0"):
        fetch_release(load_lock(release), cache=cache, mirror=mirror())
    return cache


@pytest.fixture()
def cold_cache(tmp_path: Path, source_cache: Path) -> Path:
    """Verified sources but an empty render cache."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "sources").symlink_to(source_cache / "sources")
    return cache


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("state")
    os.environ["KUBEFORGE_STATE"] = str(path)
    return path


def _render(profile: str, cache: Path) -> Render:
    from kubeforge.cli.render import secret_store

    spec = load_spec(profile)
    return render_platform(spec, cache=cache, secrets=secret_store(spec))


@pytest.fixture(scope="session")
def kind_render(source_cache: Path, state_dir: Path) -> Render:
    return _render("kind", source_cache)


@pytest.fixture(scope="session")
def production_render(source_cache: Path, state_dir: Path) -> Render:
    return _render("production", source_cache)


@pytest.fixture(params=["kind", "production"])
def full_render(request: pytest.FixtureRequest) -> Render:
    render: Render = request.getfixturevalue(f"{request.param}_render")
    return render
