"""Copy a stream while hashing it, and re-hash a cached source: the messages a mismatch gives."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from kubeforge.errors import IntegrityError
from kubeforge.fetch.layout import MARKER, label
from kubeforge.release.digest import file_sha256
from kubeforge.release.model import LockedSource

CHUNK = 1 << 16
Progress = Callable[[str, int, int], None]


def short(digest: str) -> str:
    """Digests in messages: the first 12 hex digits, everywhere."""
    return digest[:12] + "…"


def mismatch(key: str, src: LockedSource, path: str, expected: str, actual: str, origin: str) -> IntegrityError:
    return IntegrityError(f"{label(key, src)}: {path} sha256 mismatch: lock {short(expected)} {origin} {short(actual)}")


def missing(key: str, src: LockedSource, paths: list[str], where: str) -> IntegrityError:
    more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
    return IntegrityError(f"{label(key, src)}: {paths[0]} is missing from {where}{more}")


def write_verified(
    reader: IO[bytes], dest: Path, expected: str, *, key: str, src: LockedSource, path: str, origin: str
) -> int:
    """Write `reader` to a new file `dest`, hashing as it goes; refuse it unless the digest is `expected`.

    The file is made read-only: the render works on a copy, never in the cache.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with dest.open("xb") as out:
        for chunk in iter(lambda: reader.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    actual = digest.hexdigest()
    if actual != expected:
        raise mismatch(key, src, path, expected, actual, origin)
    os.chmod(dest, 0o444)
    return size


def verify_cached(
    folder: Path, *, key: str, src: LockedSource, hint: str, progress: Progress | None = None
) -> tuple[int, int]:
    """Re-hash every file of a cached source against the lock; return (files, bytes).

    The folder must hold exactly the locked files and the marker, each a regular file.
    """
    found = _files_under(folder)
    found.discard(MARKER)
    absent = sorted(set(src.files) - found)
    if absent:
        raise _with_hint(missing(key, src, absent, f"the cache ({folder})"), hint)
    extra = sorted(found - set(src.files))
    if extra:
        raise IntegrityError(f"{label(key, src)}: {extra[0]} in the cache is not in the lock; {hint}")
    total = len(src.files)
    size = 0
    for done, (path, expected) in enumerate(sorted(src.files.items()), start=1):
        if (folder / path).is_symlink() or not (folder / path).is_file():
            raise IntegrityError(f"{label(key, src)}: {path} in the cache is not a regular file; {hint}")
        actual = file_sha256(folder / path)
        if actual != expected:
            raise _with_hint(mismatch(key, src, path, expected, actual, "cache"), hint)
        size += (folder / path).stat().st_size
        if progress:
            progress(f"{key}: verifying", done, total)
    return total, size


def _files_under(folder: Path) -> set[str]:
    """Relative paths of everything that is not a directory (symlinks included, never followed)."""
    out: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        names = filenames + [d for d in dirnames if (base / d).is_symlink()]
        for name in names:
            out.add((base / name).relative_to(folder).as_posix())
    return out


def _with_hint(err: IntegrityError, hint: str) -> IntegrityError:
    return IntegrityError(f"{err}; {hint}")
