"""Find every file a kustomize build reads by walking kustomization files, not by tracing a process."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kubeforge.errors import BadInput
from kubeforge.release.model import Edit, Remote

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# A file reference inside a source: (source key, posix path relative to the source root).
FileRef = tuple[str, str]


def is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith("github.com/") or entry.startswith("git@")


@dataclass
class Walker:
    """Walks kustomizations across sources; `exists`/`read` abstract over mirror folder or cache."""

    roots: dict[str, Path]
    remotes: list[Remote]
    edits: list[Edit]
    files: set[FileRef] = field(default_factory=set)
    _seen_dirs: set[FileRef] = field(default_factory=set)

    def walk(self, source: str, path: str) -> set[FileRef]:
        """Walk the kustomization at source:path; return every file it reads (cumulative)."""
        ref = (source, _norm(path))
        if ref[1].endswith((".yaml", ".yml")) and self._abs(ref).is_file():
            self._record_file(ref, f"{source}:{path}", "paths")  # a plain manifest, built as it is
        else:
            self._walk_dir(*ref, via=f"{source}:{path}")
        return self.files

    # --- helpers -------------------------------------------------------------------------------
    def _abs(self, ref: FileRef) -> Path:
        return self.roots[ref[0]] / ref[1]

    def _kustomization_file(self, source: str, directory: str) -> str | None:
        for name in KUSTOMIZATION_NAMES:
            candidate = posixpath.join(directory, name) if directory != "." else name
            if (self.roots[source] / candidate).is_file():
                return candidate
        return None

    def _remote(self, url: str, via: str, fld: str) -> FileRef:
        for remote in self.remotes:
            if remote.url == url:
                return remote.source, _norm(remote.path)
        raise BadInput(
            f"remote base {url!r} is not mapped to a pinned source (add it to remotes in release.yaml)",
            file=via,
            field=fld,
        )

    def _resolve(self, source: str, directory: str, entry: str, via: str, fld: str) -> FileRef:
        if is_remote(entry):
            return self._remote(entry, via, fld)
        # An absolute entry would make `root / path` ignore the root: refuse it like `..`.
        joined = _norm(posixpath.join(directory, entry))
        if posixpath.isabs(entry) or joined.startswith("../") or joined == "..":
            raise BadInput(f"path {entry!r} leaves the source {source!r}", file=via, field=fld)
        return source, joined

    def _record_file(self, ref: FileRef, via: str, fld: str) -> None:
        if not self._abs(ref).is_file():
            raise BadInput(f"{ref[0]}:{ref[1]} does not exist", file=via, field=fld)
        self.files.add(ref)

    def _resource(self, source: str, directory: str, entry: str, via: str, fld: str) -> None:
        ref = self._resolve(source, directory, entry, via, fld)
        if self._abs(ref).is_dir():
            self._walk_dir(*ref, via=via, fld=fld)
        else:
            self._record_file(ref, via, fld)

    def _walk_dir(self, source: str, directory: str, via: str, fld: str = "resources") -> None:
        if (source, directory) in self._seen_dirs:
            return
        self._seen_dirs.add((source, directory))
        kfile = self._kustomization_file(source, directory)
        if kfile is None:
            raise BadInput(f"no kustomization file in {source}:{directory}", file=via, field=fld)
        kpath = f"{source}:{kfile}"
        self.files.add((source, kfile))
        doc = load_kustomization(self.roots[source] / kfile, kpath)
        doc = apply_edits(doc, kpath, self.edits)
        self._walk_doc(source, directory, doc, kpath)

    def _walk_doc(self, source: str, directory: str, doc: dict[str, Any], via: str) -> None:
        def each(fld: str, fn: Callable[[str], None]) -> None:
            for entry in _strings(doc.get(fld), via, fld):
                fn(entry)

        for fld in ("resources", "bases", "components"):
            each(fld, lambda e, f=fld: self._resource(source, directory, e, via, f))  # type: ignore[misc]
        for fld in ("crds", "configurations"):
            each(fld, lambda e, f=fld: self._record_file(self._resolve(source, directory, e, via, f), via, f))  # type: ignore[misc]
        for fld in ("generators", "transformers", "validators"):
            # Entries are either inline YAML (a newline) or paths to config files / kustomizations.
            for entry in doc.get(fld) or []:
                if isinstance(entry, str) and "\n" not in entry:
                    self._resource(source, directory, entry, via, fld)
        for entry in doc.get("patchesStrategicMerge") or []:
            if isinstance(entry, str) and "\n" not in entry.strip():
                psm = self._resolve(source, directory, entry, via, "patchesStrategicMerge")
                self._record_file(psm, via, "patchesStrategicMerge")
        for fld in ("patchesJson6902", "patches", "replacements"):
            for entry in doc.get(fld) or []:
                if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                    self._record_file(self._resolve(source, directory, entry["path"], via, fld), via, fld)
        openapi = doc.get("openapi")
        if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
            self._record_file(self._resolve(source, directory, openapi["path"], via, "openapi"), via, "openapi")
        for fld in ("configMapGenerator", "secretGenerator"):
            for gen in doc.get(fld) or []:
                if not isinstance(gen, dict):
                    continue
                refs: list[str] = [str(f).split("=", 1)[-1] for f in gen.get("files") or []]
                refs += [str(e) for e in gen.get("envs") or []]
                if gen.get("env"):
                    refs.append(str(gen["env"]))
                for ref in refs:
                    self._record_file(self._resolve(source, directory, ref, via, fld), via, fld)
        if doc.get("helmCharts") or doc.get("helmChartInflationGenerator"):
            raise BadInput("helm charts are not supported in a pinned build", file=via, field="helmCharts")


def _norm(path: str) -> str:
    return posixpath.normpath(path.strip().rstrip("/")) or "."


def _strings(value: object, via: str, fld: str) -> Iterable[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput("expected a list of strings", file=via, field=fld)
    return value


class KustomizeLoader(yaml.SafeLoader):
    """YAML as kustomize reads it (YAML 1.2 core schema): `=` and yes/no/on/off are plain strings.

    PyYAML's YAML 1.1 resolvers make `delimiter: =` a `value` tag it cannot construct, and `on:` a boolean.
    """


KustomizeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:value", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
KustomizeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_kustomization(path: Path, label: str) -> dict[str, Any]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=KustomizeLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BadInput(f"malformed YAML{line}: {problem}", file=label) from exc
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise BadInput("a kustomization must be a mapping", file=label)
    return doc


def apply_edits(doc: dict[str, Any], label: str, edits: list[Edit]) -> dict[str, Any]:
    """The same edits the render workspace applies, so the lock pins exactly what gets built."""
    for edit in edits:
        if edit.file != label:
            continue
        resources = list(doc.get("resources") or [])
        for entry in edit.drop_resources:
            if entry not in resources:
                raise BadInput(f"edit drops {entry!r} but it is not in resources", file=label, field="resources")
            resources.remove(entry)
        doc = {**doc, "resources": resources}
    return doc
