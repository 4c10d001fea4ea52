"""sha256 helpers shared by lock generation and verification."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_sha256(files: Mapping[str, str]) -> str:
    """Digest of a set of files: sha256 over sorted 'path sha256' lines (the content address)."""
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(f"{path} {files[path]}\n".encode())
    return h.hexdigest()
