"""Shared fixtures: the upstream mirror and locks generated from it, and the `kubeforge` command run in isolation.

The CLI runs as a subprocess (the installed console script): exit codes and stderr are what a user sees.
Every run gets its own cache and state folders under tmp_path; nothing touches the real home.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubeforge.release.lockgen import generate, mirror_roots
from kubeforge.release.model import Lock
from kubeforge.release.store import definition_path, load_definition

REPO = Path(__file__).resolve().parent.parent
UPSTREAM = Path(os.environ.get("KUBEFORGE_MIRROR") or REPO.parent / "shared" / "upstream")
KUBEFORGE = Path(sys.executable).parent / "kubeforge"
# Variables a run sets itself (KUBEFORGE_KUSTOMIZE and the like pass through from the caller).
_OURS = {"KUBEFORGE_HOME", "KUBEFORGE_MIRROR", "KUBEFORGE_CACHE", "KUBEFORGE_STATE", "XDG_CACHE_HOME", "XDG_STATE_HOME"}


def _lock(release: str) -> Lock:
    definition = load_definition(release)
    return generate(definition, definition_path(release).read_bytes(), mirror_roots(definition, UPSTREAM))


@pytest.fixture(scope="session")
def upstream() -> Path:
    """The mirror of upstream trees (OWNER/REPO/TAG), read only."""
    if not (UPSTREAM / "README.md").is_file():
        pytest.skip(f"the upstream mirror {UPSTREAM} is not here")
    return UPSTREAM


@pytest.fixture(scope="session")
def lock_2603(upstream: Path) -> Lock:
    """The 26.03 lock generated afresh from the mirror."""
    return _lock("26.03")


@pytest.fixture(scope="session")
def lock_1110(upstream: Path) -> Lock:
    """The v1.11.0 lock generated afresh from the mirror."""
    return _lock("v1.11.0")


@dataclass(frozen=True)
class Result:
    rc: int
    stdout: str
    stderr: str

    @property
    def error_line(self) -> str:
        """stderr, asserted to be exactly one line."""
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{self.stderr}"
        return lines[0]


Run = Callable[..., Result]


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
