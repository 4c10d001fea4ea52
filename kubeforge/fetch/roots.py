"""Where every build reads each source: the cache folders of a fetched release, verified before use.

Cheap when nothing changed (the stat fingerprint fetch recorded); on any difference, every file is
re-hashed against the lock and a changed one refused with its path and both digests.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from kubeforge.errors import BadInput
from kubeforge.fetch.layout import read_marker, source_dir, stat_fingerprint, write_marker
from kubeforge.fetch.verify import verify_cached
from kubeforge.release.model import Lock, LockedSource


def source_roots(lock: Lock, cache: Path) -> dict[str, Path]:
    """The cache folder of every source of `lock`; BadInput when one was never fetched.

    A folder whose files' stat fingerprint differs from the one recorded at fetch is re-hashed in full:
    IntegrityError on a file that does not match the lock; otherwise the new fingerprint is recorded.
    """
    roots: dict[str, Path] = {}
    absent: list[str] = []
    for key, src in lock.sources.items():
        folder = source_dir(cache, src.tree)
        marker = read_marker(folder)
        if marker is None or marker.get("tree") != src.tree:
            absent.append(key)
        else:
            _verify(folder, key, src, lock.release, marker)
            roots[key] = folder
    if absent:
        raise BadInput(
            f"release {lock.release} is not in the cache ({cache}: no {', '.join(absent)}): "
            f"run `kubeforge fetch --release {lock.release}`"
        )
    return roots


def _verify(folder: Path, key: str, src: LockedSource, release: str, marker: dict[str, str]) -> None:
    if marker.get("stat") == stat_fingerprint(folder, src):
        return
    hint = f"run `kubeforge fetch --release {release} --force` to fetch it again"
    verify_cached(folder, key=key, src=src, hint=hint)
    with contextlib.suppress(OSError):  # a read-only cache stays correct, only slower next time
        write_marker(folder, src)
