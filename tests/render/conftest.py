"""Render fixtures beyond the shared harness (tests/conftest.py): a cold render cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def cold_cache(tmp_path: Path, source_cache: Path) -> Path:
    """Verified sources but an empty render cache."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "sources").symlink_to(source_cache / "sources")
    return cache
