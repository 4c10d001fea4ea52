"""Where the render reads each source: the cache folders of a fetched release (a cheap check)."""

from __future__ import annotations

from pathlib import Path

from kubeforge.errors import BadInput
from kubeforge.fetch.layout import read_marker, source_dir
from kubeforge.release.model import Lock


def source_roots(lock: Lock, cache: Path) -> dict[str, Path]:
    """The cache folder of every source of `lock`; BadInput when one was never fetched.

    Checks the marker and its tree digest only: `fetch_release` re-hashes the files.
    """
    roots: dict[str, Path] = {}
    absent: list[str] = []
    for key, src in lock.sources.items():
        folder = source_dir(cache, src.tree)
        marker = read_marker(folder)
        if marker is None or marker.get("tree") != src.tree:
            absent.append(key)
        else:
            roots[key] = folder
    if absent:
        raise BadInput(
            f"release {lock.release} is not in the cache ({cache}: no {', '.join(absent)}): "
            f"run `kubeforge fetch --release {lock.release}`"
        )
    return roots
