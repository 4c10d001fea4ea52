"""Read release definitions and locks from manifests/, and write locks deterministically."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from kubeforge.errors import BadInput
from kubeforge.paths import MANIFESTS_DIR
from kubeforge.release.integrity import check_lock
from kubeforge.release.model import Lock, ReleaseDefinition


def releases(manifests: Path = MANIFESTS_DIR) -> list[str]:
    """Release keys that have a definition, newest first by their upstream date order in the folder."""
    found = [p.parent.name for p in manifests.glob("*/release.yaml")]
    return sorted(found, key=_release_sort_key, reverse=True)


def _release_sort_key(key: str) -> tuple[int, ...]:
    # 26.03 (calendar) sorts after v1.x (semver): upstream switched numbering at 26.03.
    parts = [int(p) for p in key.lstrip("v").split(".") if p.isdigit()]
    return (1 if not key.startswith("v") else 0, *parts)


def definition_path(release: str, manifests: Path = MANIFESTS_DIR) -> Path:
    path = manifests / release / "release.yaml"
    if not path.is_file():
        known = ", ".join(releases(manifests)) or "none"
        raise BadInput(f"release {release!r} is not defined (known: {known})", field="release")
    return path


def load_definition(release: str, manifests: Path = MANIFESTS_DIR) -> ReleaseDefinition:
    path = definition_path(release, manifests)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ReleaseDefinition.model_validate(data)
    except yaml.YAMLError as exc:
        raise BadInput(f"malformed YAML: {exc}", file=str(path)) from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(err["msg"], file=str(path), field=".".join(str(p) for p in err["loc"])) from exc


def lock_path(release: str, manifests: Path = MANIFESTS_DIR) -> Path:
    return manifests / release / "lock.json"


def load_lock(release: str, manifests: Path = MANIFESTS_DIR) -> Lock:
    path = lock_path(release, manifests)
    if not path.is_file():
        definition_path(release, manifests)  # unknown release gets the clearer message
        raise BadInput(f"no lock for release {release!r}: run `kubeforge lock --release {release}`", file=str(path))
    try:
        lock = Lock.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(err["msg"], file=str(path), field=".".join(str(p) for p in err["loc"])) from exc
    definition_file = definition_path(release, manifests)
    check_lock(lock, str(path), load_definition(release, manifests), definition_file.read_bytes())
    return lock


def lock_json(lock: Lock) -> str:
    return json.dumps(lock.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"
