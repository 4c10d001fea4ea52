"""Run kustomize builds in parallel; cache each build's objects by the digest of its inputs."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kubeforge.errors import RenderFailed
from kubeforge.files import write_atomic
from kubeforge.k8s import KObj
from kubeforge.release.model import Lock
from kubeforge.render.yamlio import load_stream
from kubeforge.tools import Kustomize


@dataclass(frozen=True)
class Build:
    """One kustomize path of one component."""

    component: str
    source: str
    path: str
    key: str


def plan_builds(lock: Lock, components: list[str], kustomize: Kustomize) -> list[Build]:
    edits = json.dumps([e.model_dump() for e in lock.edits] + [r.model_dump() for r in lock.remotes], sort_keys=True)
    builds = []
    for name in components:
        comp = lock.components[name]
        for path in comp.paths:
            material = "\n".join([comp.inputs, comp.source, path, edits, kustomize.version])
            builds.append(Build(name, comp.source, path, hashlib.sha256(material.encode()).hexdigest()))
    return builds


def run_builds(
    builds: list[Build],
    workspace: Callable[[], Path],
    kustomize: Kustomize,
    cache: Path,
    progress: Callable[[Build, bool], None] | None = None,
    weight: Callable[[Build], int] | None = None,
) -> dict[Build, list[KObj]]:
    """Objects per build: from the render cache, else built (in parallel) and stored there."""
    results: dict[Build, list[KObj]] = {}
    todo = []
    for build in builds:
        cached = _read_cache(cache, build.key)
        if cached is None:
            todo.append(build)
        else:
            results[build] = cached
            if progress:
                progress(build, True)
    if todo:
        if weight is not None:
            todo.sort(key=weight, reverse=True)  # longest first: the last build to start is a short one
        ws = workspace()  # only a cold build pays for laying out the workspace
        workers = max(2, os.cpu_count() or 2)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for build, objects in zip(todo, pool.map(lambda b: _build(b, ws, kustomize), todo), strict=True):
                _write_cache(cache, build.key, objects)
                results[build] = objects
                if progress:
                    progress(build, False)
    return results


def _build(build: Build, ws: Path, kustomize: Kustomize) -> list[KObj]:
    target = ws / build.source / build.path
    if target.is_file():  # a plain manifest (a release's static deployment files): its objects as they are
        try:
            return load_stream(target.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RenderFailed(f"component {build.component}: {build.source}:{build.path}: {exc}") from exc
    proc = subprocess.run(kustomize.build_args(str(target)), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        message = _clean_message(proc.stderr, ws)
        raise RenderFailed(
            f"component {build.component}: kustomize build {build.source}:{build.path} failed: {message}"
        )
    try:
        return load_stream(proc.stdout)
    except ValueError as exc:
        raise RenderFailed(f"component {build.component}: {build.source}:{build.path}: {exc}") from exc


def _clean_message(stderr: str, ws: Path) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("# Warning")]
    text = " ".join(lines[-3:]) if lines else "no message"
    text = text.replace(str(ws) + "/", "")
    missing = re.search(r"([\w./-]+): no such file or directory", text)
    if missing:
        return f"{missing.group(1)} is not pinned by the lock (not in the verified cache). kustomize said: {text}"
    return text


def _cache_file(cache: Path, key: str) -> Path:
    return cache / "renders" / key[:2] / f"{key}.json"


def _read_cache(cache: Path, key: str) -> list[KObj] | None:
    path = _cache_file(cache, key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, list) else None


def _write_cache(cache: Path, key: str, objects: list[KObj]) -> None:
    # dumps uses the C encoder; dump does not
    write_atomic(_cache_file(cache, key), json.dumps(objects, separators=(",", ":")), mode=0o600)
