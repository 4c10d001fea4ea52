"""Stage a source from a mirror folder laid out OWNER/REPO/TAG/: copy the locked files, verifying each."""

from __future__ import annotations

from pathlib import Path

from kubeforge.errors import BadInput
from kubeforge.fetch.layout import label
from kubeforge.fetch.verify import Progress, missing, write_verified
from kubeforge.release.model import LockedSource


def mirror_root(mirror: Path, src: LockedSource) -> Path:
    return mirror / src.repo / src.tag


def stage_from_mirror(
    mirror: Path, staging: Path, *, key: str, src: LockedSource, progress: Progress | None = None
) -> int:
    """Copy every locked file of `src` from the mirror into `staging`; return the bytes copied."""
    root = mirror_root(mirror, src)
    if not root.is_dir():
        raise BadInput(f"{label(key, src)}: not in the mirror: expected the folder {root}", field="mirror")
    absent = sorted(path for path in src.files if not (root / path).is_file())
    if absent:
        raise missing(key, src, absent, "the mirror")
    total = len(src.files)
    size = 0
    for done, (path, expected) in enumerate(sorted(src.files.items()), start=1):
        with (root / path).open("rb") as reader:
            size += write_verified(reader, staging / path, expected, key=key, src=src, path=path, origin="mirror")
        if progress:
            progress(f"{key}: copying", done, total)
    return size
