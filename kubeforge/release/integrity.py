"""A lock is generated, never edited: on every load it must match its release.yaml and its own digests."""

from __future__ import annotations

import hashlib
from typing import Any

from kubeforge.errors import IntegrityError
from kubeforge.release.digest import tree_sha256
from kubeforge.release.model import Lock, ReleaseDefinition

REGENERATE = "locks are generated, never edited: run `kubeforge lock --release {release}`"


def check_lock(lock: Lock, lock_file: str, definition: ReleaseDefinition, definition_text: bytes) -> None:
    """Refuse a stale or hand-edited lock, naming the field that differs from what `kubeforge lock` writes."""
    hint = REGENERATE.format(release=definition.release)
    actual = hashlib.sha256(definition_text).hexdigest()
    if actual != lock.definition:
        raise IntegrityError(
            f"{lock_file}: definition: the lock was made from a release.yaml with sha256 {lock.definition[:12]}…, "
            f"the release.yaml here has {actual[:12]}…; {hint}"
        )
    for field, want, got in _derived(lock, definition):
        if want != got:
            raise IntegrityError(f"{lock_file}: {field}: {got!r} in the lock, {want!r} in release.yaml; {hint}")
    for key, src in lock.sources.items():
        tree = tree_sha256(src.files)
        if tree != src.tree:
            raise IntegrityError(
                f"{lock_file}: sources.{key}.tree: {src.tree[:12]}… is not the digest of its files ({tree[:12]}…); "
                f"{hint}"
            )
    for name, comp in lock.components.items():
        digests = {}
        for ref in comp.files:
            source, _, path = ref.partition(":")
            digest = lock.sources[source].files.get(path) if source in lock.sources else None
            if digest is None:
                raise IntegrityError(f"{lock_file}: components.{name}.files: {ref} is not in sources; {hint}")
            digests[ref] = digest
        inputs = tree_sha256(digests)
        if inputs != comp.inputs:
            raise IntegrityError(
                f"{lock_file}: components.{name}.inputs: {comp.inputs[:12]}… is not the digest of its files "
                f"({inputs[:12]}…); {hint}"
            )


def _derived(lock: Lock, definition: ReleaseDefinition) -> list[tuple[str, Any, Any]]:
    """(field, value release.yaml gives, value in the lock) for everything the lock copies from it."""
    out: list[tuple[str, Any, Any]] = [
        ("release", definition.release, lock.release),
        ("upstream", definition.upstream, lock.upstream),
    ]
    for name in ("min", "max", "tested"):
        out.append((f"kubernetes.{name}", getattr(definition.kubernetes, name), getattr(lock.kubernetes, name)))
    out.append(("remotes", [r.model_dump() for r in definition.remotes], [r.model_dump() for r in lock.remotes]))
    out.append(("edits", [e.model_dump() for e in definition.edits], [e.model_dump() for e in lock.edits]))
    out.append(("components", sorted(definition.components), sorted(lock.components)))
    for name, comp in definition.components.items():
        locked = lock.components.get(name)
        if locked is None:
            continue
        for field in ("version", "source", "paths", "namespaces", "depends", "core", "example", "kubernetes", "gpu"):
            out.append((f"components.{name}.{field}", getattr(comp, field), getattr(locked, field)))
    for key, src in lock.sources.items():
        pinned = definition.sources.get(key)
        for field in ("repo", "tag", "commit"):
            out.append((f"sources.{key}.{field}", getattr(pinned, field, None), getattr(src, field)))
    return out
