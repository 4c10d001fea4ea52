"""A side of the diff from a render in memory, or from a saved render folder (build/<profile>/)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from kubeforge.diff.model import Side
from kubeforge.errors import BadInput
from kubeforge.k8s import KObj
from kubeforge.render import Render
from kubeforge.render.output import MARKER, SUMMARY

_FILE = re.compile(r"^\d{2}-(?P<component>[a-z0-9-]+)\.yaml$")


def side_from_render(render: Render, label: str) -> Side:
    objects = render.by_component()
    return Side(label, render.spec.release, render.spec.profile, {c: render.version_of(c) for c in objects}, objects)


def side_from_folder(folder: Path, field: str) -> Side:
    """A folder `kubeforge render` wrote: its marker lists its files, summary.json its release and versions."""
    where = str(folder)
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
        files = marker["files"]
        versions = {c: str(v["version"]) for c, v in summary["components"].items()}
        release, profile = str(summary["release"]), str(summary["profile"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
        raise BadInput(
            f"{where} is not a kubeforge render folder ({MARKER} and {SUMMARY} written by `kubeforge render`): {reason}",
            field=field,
        ) from exc
    objects: dict[str, list[KObj]] = {}
    for name in sorted(files):
        m = _FILE.match(name)
        if not m:
            continue
        try:
            docs = list(yaml.safe_load_all((folder / name).read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError) as exc:
            raise BadInput(f"cannot read a rendered component: {exc}", file=str(folder / name)) from exc
        objects[m.group("component")] = [d for d in docs if isinstance(d, dict)]
    if not objects:
        raise BadInput(f"{where} holds no rendered component files (NN-<component>.yaml)", field=field)
    return Side(where, release, profile, versions, objects)


class PlaceholderSecrets:
    """The SecretStore of a diff: fixed placeholders, so a diff writes no state and shows no secret."""

    def kind_password_hash(self, email: str) -> str:
        return f"<bcrypt of {email}'s password>"

    def generated(self, value_id: str) -> str:
        return f"<generated {value_id}>"
