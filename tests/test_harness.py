"""The harness itself: without the mirror, tests skip on a laptop and fail in CI (CI=true)."""

from __future__ import annotations

from pathlib import Path

import harness
import pytest


def test_a_missing_mirror_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(harness, "UPSTREAM", tmp_path / "no-mirror")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no-mirror is not here \(set KUBEFORGE_MIRROR\)"):
        harness.need_mirror()


def test_a_missing_mirror_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(harness, "UPSTREAM", tmp_path / "no-mirror")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"no-mirror is not here .*CI=true: a missing mirror fails"):
        harness.need_mirror()
