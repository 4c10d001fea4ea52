"""`kubeforge lock|fetch|versions`: the release lock and the verified cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from kubeforge.cli.output import Output, console, print_json, print_table
from kubeforge.errors import BadInput
from kubeforge.files import write_atomic
from kubeforge.paths import cache_dir, mirror_dir
from kubeforge.release.lockgen import generate, mirror_roots
from kubeforge.release.store import (
    definition_path,
    load_definition,
    load_lock,
    lock_json,
    lock_path,
    releases,
)

RELEASE = typer.Option(None, "--release", "-r", help="Release key (default: every release).")
MIRROR = typer.Option(None, "--mirror", help="Mirror folder laid out OWNER/REPO/TAG (or KUBEFORGE_MIRROR).")


def _releases(release: str | None) -> list[str]:
    if release is None:
        return releases()
    definition_path(release)  # unknown release: one clear line
    return [release]


def lock(release: str | None = RELEASE, mirror: Path | None = MIRROR) -> None:
    """Generate manifests/<release>/lock.json by walking the kustomizations of every component."""
    folder = mirror or mirror_dir()
    if folder is None:
        raise BadInput("lock reads the upstream trees from a mirror folder: pass --mirror or set KUBEFORGE_MIRROR")
    for key in _releases(release):
        definition = load_definition(key)
        result = generate(definition, definition_path(key).read_bytes(), mirror_roots(definition, folder))
        write_atomic(lock_path(key), lock_json(result))
        files = sum(len(s.files) for s in result.sources.values())
        console.print(f"locked {key}: {len(result.components)} components, {files} files -> {lock_path(key)}")


def fetch(
    release: str | None = RELEASE,
    mirror: Path | None = MIRROR,
    cache: Path | None = typer.Option(None, "--cache", help="Cache folder (default: XDG cache, or KUBEFORGE_CACHE)."),
    force: bool = typer.Option(False, "--force", help="Fetch again even when cached."),
    output: Output = typer.Option(Output.table, "--output", "-o"),
) -> None:
    """Bring every pinned source into the cache, verifying each file against the lock."""
    from kubeforge.fetch import fetch_release  # only fetch needs the network stack

    folder = mirror or mirror_dir()
    reports = []
    for key in _releases(release):
        report = fetch_release(load_lock(key), cache=cache or cache_dir(), mirror=folder, force=force)
        reports.append((key, report))
    if output is Output.json:
        print_json({key: json.loads(report.to_json()) for key, report in reports})
        return
    rows = [
        (key, s.key, f"{s.repo}@{s.tag}", s.commit[:12], s.files, s.origin, f"{s.seconds:.2f}s")
        for key, report in reports
        for s in report.sources
    ]
    print_table("fetched and verified", ["release", "source", "repo", "commit", "files", "from", "time"], rows)


def versions(output: Output = typer.Option(Output.table, "--output", "-o")) -> None:
    """Releases, their components with upstream versions, and the supported Kubernetes range."""
    data: dict[str, dict[str, Any]] = {}
    for key in releases():
        lk = load_lock(key)
        data[key] = {
            "upstream": lk.upstream,
            "kubernetes": lk.kubernetes.model_dump(),
            "components": {n: {"version": c.version, "core": c.core} for n, c in lk.components.items()},
            "sources": {n: {"repo": s.repo, "tag": s.tag, "commit": s.commit} for n, s in lk.sources.items()},
        }
    if output is Output.json:
        print_json(data)
        return
    for key, info in data.items():
        k8s = info["kubernetes"]
        console.print(f"[bold]{key}[/bold] ({info['upstream']}): Kubernetes >= {k8s['min']}, tested on {k8s['tested']}")
        rows = [(n, c["version"], "core" if c["core"] else "") for n, c in sorted(info["components"].items())]
        print_table(f"components of {key}", ["component", "upstream version", ""], rows)


def register(app: typer.Typer) -> None:
    app.command("lock")(lock)
    app.command("fetch")(fetch)
    app.command("versions")(versions)
