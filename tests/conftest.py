"""The one test harness: the upstream mirror, locks generated from it, a verified source cache, the
real renders of each profile, and the `kubeforge` command run in isolation.

The CLI runs as a subprocess (the installed console script): exit codes and stderr are what a user sees.
Every run gets its own cache and state folders under tmp_path; nothing touches the real home.
Without the mirror, the tests that need it skip, except in CI (CI=true), where a missing mirror fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from harness import REPO, RenderOf, Result, Run, need_mirror

from kubeforge.fetch import fetch_release
from kubeforge.release.lockgen import generate, mirror_roots
from kubeforge.release.model import Lock
from kubeforge.release.store import definition_path, load_definition, load_lock
from kubeforge.render import Render, render_platform
from kubeforge.spec import load_spec

RELEASES = ("26.03", "v1.11.0")
KUBEFORGE = Path(sys.executable).parent / "kubeforge"
# Variables a run sets itself (KUBEFORGE_KUSTOMIZE and the like pass through from the caller).
_OURS = {"KUBEFORGE_HOME", "KUBEFORGE_MIRROR", "KUBEFORGE_CACHE", "KUBEFORGE_STATE", "XDG_CACHE_HOME", "XDG_STATE_HOME"}


def _lock(release: str) -> Lock:
    definition = load_definition(release)
    return generate(definition, definition_path(release).read_bytes(), mirror_roots(definition, need_mirror()))


@pytest.fixture(scope="session")
def upstream() -> Path:
    """The mirror of upstream trees (OWNER/REPO/TAG), read only."""
    return need_mirror()


def shared_cache() -> Path:
    """One cache for every worker: writes into it are atomic renames, so sharing is safe."""
    return Path(os.environ.get("KUBEFORGE_CACHE") or REPO / ".cache" / "kubeforge")


@pytest.fixture(scope="session")
def source_cache(upstream: Path) -> Path:
    """Every release's locked sources, verified from the mirror into the shared cache."""
    cache = shared_cache()
    for release in RELEASES:
        fetch_release(load_lock(release), cache=cache, mirror=upstream)
    return cache


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's KUBEFORGE_STATE: the kind renders' generated secrets live here, not in $HOME."""
    path = tmp_path_factory.mktemp("state")
    os.environ["KUBEFORGE_STATE"] = str(path)
    return path


@pytest.fixture(scope="session")
def render_of(source_cache: Path, state_dir: Path) -> RenderOf:
    """The real render of a shipped profile, made once per session (shared: do not modify it)."""
    from kubeforge.cli.render import secret_store

    renders: dict[str, Render] = {}

    def render(profile: str) -> Render:
        if profile not in renders:
            spec = load_spec(profile)
            renders[profile] = render_platform(spec, cache=source_cache, secrets=secret_store(spec))
        return renders[profile]

    return render


@pytest.fixture(scope="session")
def kind_render(render_of: RenderOf) -> Render:
    return render_of("kind")


@pytest.fixture(scope="session")
def production_render(render_of: RenderOf) -> Render:
    return render_of("production")


@pytest.fixture(params=["kind", "production"])
def full_render(request: pytest.FixtureRequest) -> Render:
    render: Render = request.getfixturevalue(f"{request.param}_render")
    return render


@pytest.fixture(scope="session")
def lock_2603(upstream: Path) -> Lock:
    """The 26.03 lock generated afresh from the mirror."""
    return _lock("26.03")


@pytest.fixture(scope="session")
def lock_1110(upstream: Path) -> Lock:
    """The v1.11.0 lock generated afresh from the mirror."""
    return _lock("v1.11.0")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A KUBEFORGE_HOME of our own: a copy of profiles/ (to add to) and the real manifests/ (linked, read only)."""
    root = tmp_path / "home"
    shutil.copytree(REPO / "profiles", root / "profiles")
    (root / "manifests").symlink_to(REPO / "manifests", target_is_directory=True)
    return root


@pytest.fixture
def kubeforge(tmp_path: Path) -> Run:
    """Run `kubeforge ARGS...` with a private cache and state; `home=` sets KUBEFORGE_HOME, `env=` adds variables."""
    if not KUBEFORGE.is_file():
        pytest.skip(f"the kubeforge console script is not installed next to {sys.executable}")
    private = tmp_path / "private"

    def run(*args: str | Path, home: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
        full = {k: v for k, v in os.environ.items() if k not in _OURS}
        full.update(
            KUBEFORGE_CACHE=str(private / "cache"),
            KUBEFORGE_STATE=str(private / "state"),
            XDG_CACHE_HOME=str(private / "xdg-cache"),
            XDG_STATE_HOME=str(private / "xdg-state"),
            COLUMNS="200",
            NO_COLOR="1",
        )
        if home is not None:
            full["KUBEFORGE_HOME"] = str(home)
        full.update(env or {})
        proc = subprocess.run(
            [str(KUBEFORGE), *map(str, args)], capture_output=True, text=True, env=full, timeout=120, check=False
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run
