"""The build workspace: the verified cache laid out per source, with remote bases pointed at pinned sources.

The cache is never modified: edits happen on copies here, in a temporary folder per render.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from pathlib import Path

import yaml

from kubeforge.release.model import Lock, Remote
from kubeforge.release.walk import apply_edits, is_remote, load_kustomization

REMOTES_DIR = "_remotes"


def materialize(lock: Lock, roots: dict[str, Path], dest: Path, files: set[str]) -> None:
    """Lay out `files` (source:path) under dest/<source>/, then rewrite kustomizations for remotes and edits."""
    for ref in sorted(files):
        source, path = ref.split(":", 1)
        target = dest / source / path
        target.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(roots[source] / path, target)
    for i, remote in enumerate(lock.remotes):
        if remote.images:
            _write_remote_wrapper(dest, i, remote)
    for ref in sorted(files):
        source, path = ref.split(":", 1)
        if posixpath.basename(path) in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            _rewrite(dest, lock, source, path)


def _link_or_copy(src: Path, dst: Path) -> None:
    # Hard links are free; a cache on another file system gets copies. Never symlinks: kustomize's
    # load restrictor resolves them and refuses files outside the kustomization root.
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _write_remote_wrapper(dest: Path, index: int, remote: Remote) -> None:
    """A release asset = a kustomize build of a source path with pinned images: a local kustomization."""
    folder = dest / REMOTES_DIR / str(index)
    folder.mkdir(parents=True, exist_ok=True)
    rel = posixpath.relpath(f"{remote.source}/{remote.path}", f"{REMOTES_DIR}/{index}")
    doc = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [rel],
        "images": [img.model_dump(exclude_none=True) for img in remote.images],
    }
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(doc, sort_keys=True), encoding="utf-8")


def _remote_target(lock: Lock, url: str) -> str | None:
    for i, remote in enumerate(lock.remotes):
        if remote.url == url:
            return f"{REMOTES_DIR}/{i}" if remote.images else f"{remote.source}/{remote.path}"
    return None  # unmapped: the lock's walker already refused any that a locked build reaches


def _localize(lock: Lock, entry: object, here: str) -> object:
    if isinstance(entry, str) and is_remote(entry):
        target = _remote_target(lock, entry)
        if target is not None:
            return posixpath.relpath(target, here)
    return entry


def _rewrite(dest: Path, lock: Lock, source: str, path: str) -> None:
    label = f"{source}:{path}"
    file = dest / source / path
    doc = load_kustomization(file, label)
    edited = apply_edits(doc, label, lock.edits)
    here = posixpath.dirname(f"{source}/{path}")
    changed = edited is not doc
    for field in ("resources", "bases", "components"):
        entries = edited.get(field)
        if not isinstance(entries, list):
            continue
        new = [_localize(lock, e, here) for e in entries]
        if new != entries:
            edited = {**edited, field: new}
            changed = True
    if changed:
        file.unlink()  # a hard link: replace it, never write through into the cache
        file.write_text(yaml.safe_dump(edited, sort_keys=False), encoding="utf-8")
