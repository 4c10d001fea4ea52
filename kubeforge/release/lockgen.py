"""`kubeforge lock`: turn a release definition plus a source tree into a per-file lock."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kubeforge.errors import BadInput
from kubeforge.release.digest import file_sha256, tree_sha256
from kubeforge.release.model import Lock, LockedComponent, LockedSource, ReleaseDefinition
from kubeforge.release.walk import FileRef, Walker


def mirror_roots(definition: ReleaseDefinition, mirror: Path) -> dict[str, Path]:
    """Where each source lies in a mirror folder laid out OWNER/REPO/TAG/."""
    roots = {}
    for key, src in definition.sources.items():
        root = mirror / src.mirror_path
        if not root.is_dir():
            raise BadInput(f"source {key!r} ({src.repo}@{src.tag}) not found at {root}", field="mirror")
        roots[key] = root
    return roots


def generate(definition: ReleaseDefinition, definition_text: bytes, roots: dict[str, Path]) -> Lock:
    component_files: dict[str, set[FileRef]] = {}
    for name, comp in definition.components.items():
        walker = Walker(roots=roots, remotes=definition.remotes, edits=definition.edits)
        for path in comp.paths:
            walker.walk(comp.source, path)
        component_files[name] = walker.files
    used: dict[str, dict[str, str]] = {key: {} for key in definition.sources}
    for key, src in definition.sources.items():
        for path in src.plain_files:
            _check_included(definition, key, path)
            if not (roots[key] / path).is_file():
                raise BadInput(f"{key}:{path} does not exist", field=f"sources.{key}.plain_files")
            used[key][path] = file_sha256(roots[key] / path)
    for refs in component_files.values():
        for source, path in sorted(refs):  # sorted: the first refusal is the same on every run
            _check_included(definition, source, path)
            if path not in used[source]:
                used[source][path] = file_sha256(roots[source] / path)
    sources = {
        key: LockedSource(
            repo=src.repo,
            tag=src.tag,
            commit=src.commit,
            tree=tree_sha256(used[key]),
            files=dict(sorted(used[key].items())),
        )
        for key, src in definition.sources.items()
        if used[key]
    }
    components = {}
    for name, comp in definition.components.items():
        ordered = sorted(component_files[name])
        digests = {f"{s}:{p}": used[s][p] for s, p in ordered}
        components[name] = LockedComponent(
            version=comp.version,
            source=comp.source,
            paths=comp.paths,
            namespaces=comp.namespaces,
            depends=comp.depends,
            core=comp.core,
            example=comp.example,
            kubernetes=comp.kubernetes,
            gpu=comp.gpu,
            inputs=tree_sha256(digests),
            files=[f"{s}:{p}" for s, p in ordered],
        )
    return Lock(
        release=definition.release,
        upstream=definition.upstream,
        kubernetes=definition.kubernetes,
        definition=hashlib.sha256(definition_text).hexdigest(),
        sources=sources,
        remotes=definition.remotes,
        edits=definition.edits,
        components=components,
    )


def _check_included(definition: ReleaseDefinition, source: str, path: str) -> None:
    include = definition.sources[source].include
    if not any(inc == "." or path == inc or path.startswith(inc.rstrip("/") + "/") for inc in include):
        raise BadInput(f"{source}:{path} lies outside the source's include list {include}", field="sources")
