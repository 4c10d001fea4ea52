"""Write a render to build/<profile>/: one YAML file per component in install order, plan.json, summary.json.

Written to a temporary sibling folder, then swapped in: a failed render leaves the previous output as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from kubeforge.errors import BadInput
from kubeforge.files import write_atomic
from kubeforge.k8s import ident
from kubeforge.render.footprint import footprint
from kubeforge.render.leftovers import make_temporary, remove_quietly, remove_stale, signals_deferred
from kubeforge.render.pipeline import Render
from kubeforge.render.transforms.images import images_of
from kubeforge.render.yamlio import dump_stream

PLAN = "plan.json"
EMITTER = "yaml-v2-crds-as-json"  # part of the memo key: a change of output format never serves stale text
SUMMARY = "summary.json"
MARKER = ".kubeforge-render.json"  # lists what a render wrote: only such a folder is ever replaced


def check_writable(out: Path) -> None:
    """Fail before any build when --out is not ours to replace, or cannot be written (saying why).

    Ours to replace: absent, an empty folder, or a previous render (its marker lists every file in it).
    """
    resolved = out.resolve()
    if resolved == Path(resolved.anchor):
        raise BadInput(f"cannot write to {out}: the file-system root is never a render folder", field="--out")
    if resolved.exists() and not resolved.is_dir():
        raise BadInput(f"cannot write to {out}: it is a file, not a folder", field="--out")
    if resolved.is_dir():
        _check_ours(out, resolved)
    probe = resolved.parent
    while not probe.exists():
        probe = probe.parent
    try:
        with signals_deferred():  # the probe folder never outlives this line
            Path(tempfile.mkdtemp(prefix=".kubeforge-probe-", dir=probe)).rmdir()
    except OSError as exc:
        raise BadInput(f"cannot write to {out}: {probe}: {exc.strerror or exc}", field="--out") from exc


def _check_ours(out: Path, folder: Path) -> None:
    try:
        entries = sorted(os.listdir(folder))
    except OSError as exc:
        raise BadInput(f"cannot write to {out}: {exc.strerror or exc}", field="--out") from exc
    if not entries:
        return
    written = _marker_files(folder)
    if written is None:
        raise BadInput(
            f"refusing to replace {out}: it is not empty and not a previous kubeforge render (no {MARKER}); "
            "choose an empty or new folder",
            field="--out",
        )
    foreign = [e for e in entries if e != MARKER and e not in written]
    if foreign:
        raise BadInput(
            f"refusing to replace {out}: {foreign[0]} was not written by kubeforge; move it away first",
            field="--out",
        )


def _marker_files(folder: Path) -> set[str] | None:
    """The files a previous render wrote into folder, from its marker; None when it has none."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files)


def component_files(render: Render) -> dict[str, str]:
    """File name -> YAML text, one per component, numbered in install order."""
    out = {}
    for n, (name, objects) in enumerate(render.by_component().items()):
        out[f"{n:02d}-{name}.yaml"] = f"# kubeforge render: component {name} ({render.version_of(name)})\n" + _yaml(
            objects
        )
    return out


def _yaml(objects: list[dict[str, Any]]) -> str:
    """YAML of objects, memoized by the digest of their JSON: a warm render skips the slow emitter."""
    from kubeforge.paths import cache_dir

    blob = json.dumps(objects, sort_keys=True, separators=(",", ":")).encode()
    key = hashlib.sha256(EMITTER.encode() + blob).hexdigest()
    path = cache_dir() / "yaml" / key[:2] / f"{key}.yaml"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    text = dump_stream(objects)
    write_atomic(path, text, mode=0o600)
    return text


def plan_json(render: Render) -> dict[str, Any]:
    waves = []
    for wave in render.waves.waves:
        groups: dict[str, list[str]] = {}
        for i in wave.members:
            groups.setdefault(render.component_of[i], []).append(ident(render.objects[i]))
        waves.append({"index": wave.index, "name": wave.name, "wait_for": wave.gates, "groups": groups})
    return {
        "release": render.spec.release,
        "profile": render.spec.profile,
        "components": render.components,
        "waves": waves,
        "notes": render.notes,
    }


def summary_json(render: Render) -> dict[str, Any]:
    by_comp = render.by_component()
    return {
        "release": render.spec.release,
        "profile": render.spec.profile,
        "kustomize": {"version": render.kustomize.version, "via": render.kustomize.source},
        "components": {
            name: {"version": render.version_of(name), "objects": len(objs)} for name, objs in by_comp.items()
        },
        "objects": len(render.objects),
        "objects_by_kind": dict(sorted(Counter(str(o.get("kind")) for o in render.objects).items())),
        "images": images_of(render.objects),
        "requests": footprint(render.objects).to_json(),
    }


def write_render(render: Render, out: Path) -> dict[str, Any]:
    check_writable(out)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    for kind in ("tmp", "old"):
        remove_stale(out.parent, f".{out.name}.{kind}-")  # what a killed render left beside this output
    with ExitStack() as stack:
        staging = make_temporary(f".{out.name}.tmp-", out.parent, stack)  # removed on any exit, signals included
        for name, text in component_files(render).items():
            (staging / name).write_text(text, encoding="utf-8")
        summary = summary_json(render)
        (staging / PLAN).write_text(json.dumps(plan_json(render), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        (staging / SUMMARY).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        written = sorted(p.name for p in staging.iterdir())
        (staging / MARKER).write_text(json.dumps({"files": written}, indent=1) + "\n", encoding="utf-8")
        staging.chmod(0o755)
        with signals_deferred():  # a signal between the two renames would leave no output, only .old-
            _swap(staging, out)
    return summary


def _swap(staging: Path, out: Path) -> None:
    old = None
    if out.exists():
        _check_ours(out, out)  # again, just before: nothing the user put there since is ever removed
        old = out.with_name(f".{out.name}.old-{os.getpid()}-0")
        os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)  # the previous render back in place
        raise
    if old is not None:
        remove_quietly(old)
