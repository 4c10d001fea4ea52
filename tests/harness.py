"""What tests import from the harness (fixtures live in conftest.py): the mirror and the render factory's type."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubeforge.k8s import KObj, name_of
from kubeforge.paths import project_mirror
from kubeforge.render import Render

REPO = Path(__file__).resolve().parent.parent
UPSTREAM = project_mirror()
RenderOf = Callable[[str], Render]  # the `render_of` fixture: profile -> its real render, once per session


def need_mirror() -> Path:
    """The mirror of upstream trees (OWNER/REPO/TAG), read only; skip without it, fail in CI."""
    if not (UPSTREAM / "README.md").is_file():
        message = f"the upstream mirror {UPSTREAM} is not here (set KUBEFORGE_MIRROR)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true: a missing mirror fails the suite")
        pytest.skip(message)
    return UPSTREAM


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


def find(objects: list[KObj], kind: str, name: str) -> KObj:
    """The one object of `kind` named `name` (StopIteration when there is none)."""
    return next(o for o in objects if o["kind"] == kind and name_of(o) == name)
