"""Cache layout, the marker file, and checks on the names a lock puts into paths and URLs."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path, PurePosixPath

from kubeforge.errors import BadInput, IntegrityError
from kubeforge.files import write_atomic
from kubeforge.release.digest import tree_sha256
from kubeforge.release.model import LockedSource

MARKER = ".kubeforge-source.json"
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def label(key: str, src: LockedSource) -> str:
    """How every message names a source: `source manifests (kubeflow/manifests@26.03)`."""
    return f"source {key} ({src.repo}@{src.tag})"


def sources_root(cache: Path) -> Path:
    return cache / "sources"


def tmp_root(cache: Path) -> Path:
    """Staging folders live here, on the same file system as the cache, so that rename is atomic."""
    return cache / "tmp"


def source_dir(cache: Path, tree: str) -> Path:
    """The cache folder of a source: content-addressed by the lock's tree digest."""
    return sources_root(cache) / tree


def marker_data(src: LockedSource) -> dict[str, str]:
    return {"repo": src.repo, "tag": src.tag, "commit": src.commit, "tree": src.tree}


def write_marker(folder: Path, src: LockedSource) -> None:
    """The marker, with the folder's stat fingerprint: what the next render compares cheaply."""
    data = {**marker_data(src), "stat": stat_fingerprint(folder, src)}
    write_atomic(folder / MARKER, json.dumps(data, indent=1, sort_keys=True) + "\n")


def stat_fingerprint(folder: Path, src: LockedSource) -> str:
    """sha256 over each locked file's size, mtime and inode: any write or replacement changes it.

    Hard links (the render's workspace) change neither; a missing file gives a fingerprint no fetch wrote.
    """
    h = hashlib.sha256()
    for path in sorted(src.files):
        try:
            st = os.lstat(folder / path)
            h.update(f"{path} {st.st_size} {st.st_mtime_ns} {st.st_ino} {st.st_mode}\n".encode())
        except OSError:
            h.update(f"{path} missing\n".encode())
    return h.hexdigest()


def read_marker(folder: Path) -> dict[str, str] | None:
    """The marker of a cache folder, or None when it is absent or unreadable."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    return data


def has_marker(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def check_locked_source(key: str, src: LockedSource) -> None:
    """Refuse a lock whose names would leave the cache or mirror, or whose tree digest is not its files'."""
    where = f"sources.{key}"
    if not _REPO.fullmatch(src.repo) or ".." in src.repo.split("/"):
        raise BadInput(f"{label(key, src)}: repo must be OWNER/NAME", field=f"{where}.repo")
    if not _plain_relative(src.tag):
        raise BadInput(f"{label(key, src)}: tag {src.tag!r} is not a plain name", field=f"{where}.tag")
    for path in src.files:
        if not _plain_relative(path) or path == MARKER:
            message = f"{label(key, src)}: file {path!r} is not a plain relative path"
            raise BadInput(message, field=f"{where}.files")
    actual = tree_sha256(src.files)
    if actual != src.tree:
        raise IntegrityError(
            f"{label(key, src)}: lock tree digest {src.tree[:12]}… does not match its file list "
            f"({actual[:12]}…): regenerate the lock with `kubeforge lock`"
        )


def _plain_relative(path: str) -> bool:
    if not path or "\\" in path or "\0" in path or path.startswith("/"):
        return False
    parts = path.split("/")
    return all(part not in ("", ".", "..") for part in parts) and PurePosixPath(path).parts == tuple(parts)
