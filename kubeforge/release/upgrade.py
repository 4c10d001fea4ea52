"""manifests/<release>/upgrade.yaml: what upgrading to a release from an earlier one needs beyond applying
the new render, each step with its reason and where upstream says so. Written by a person."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError

from kubeforge.errors import BadInput
from kubeforge.paths import MANIFESTS_DIR
from kubeforge.release.model import Strict
from kubeforge.release.store import definition_path

UPGRADE_FILE = "upgrade.yaml"


class Step(Strict):
    id: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", description="Stable name of the step.")
    phase: Literal["before", "after"] = Field(description="Before or after the new render is applied.")
    action: Literal["delete", "storage-migration", "check", "note"] = Field(
        description="delete: remove `objects` (never stateful ones); storage-migration: rewrite the CRs of "
        "`objects` (CRDs); check: run `command`, fail the upgrade on a non-zero exit; note: for the operator."
    )
    objects: list[str] = Field(default_factory=list, description="Kind/namespace/name (cluster-scoped: Kind/name).")
    command: list[str] = Field(default_factory=list, description="argv of a check.")
    why: str = Field(min_length=1)
    source: str = Field(min_length=1, description="Where upstream says so: its README section, file or note.")


class Through(Strict):
    release: str = Field(description="A release in manifests/ pinning the intermediate version.")
    version: str


class UpgradePath(Strict):
    steps: list[Step] = Field(default_factory=list)
    through: dict[str, list[Through]] = Field(
        default_factory=dict,
        description="Components upstream upgrades one minor at a time: the pinned releases stepped through.",
    )


class UpgradeFile(Strict):
    release: str
    upgrades_from: dict[str, UpgradePath] = Field(alias="from", description="Earlier release -> its path.")


def load_upgrade_file(release: str, manifests: Path = MANIFESTS_DIR) -> UpgradeFile | None:
    path = definition_path(release, manifests).parent / UPGRADE_FILE
    if not path.is_file():
        return None
    try:
        data = UpgradeFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise BadInput(f"malformed YAML: {exc}", file=str(path)) from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(err["msg"], file=str(path), field=".".join(str(p) for p in err["loc"])) from exc
    if data.release != release:
        raise BadInput(
            f"says release {data.release!r}, but lies in manifests/{release}/", file=str(path), field="release"
        )
    return data


def upgrade_path(old: str, new: str, manifests: Path = MANIFESTS_DIR) -> UpgradePath:
    """The declared path from `old` to `new`; refused (one line naming both) when there is none."""
    definition_path(old, manifests)  # an unknown release gets its own message
    data = load_upgrade_file(new, manifests)
    if data is None or old not in data.upgrades_from:
        declared = ", ".join(sorted(data.upgrades_from)) if data else "none"
        raise BadInput(
            f"no upgrade path from release {old!r} to release {new!r}: manifests/{new}/{UPGRADE_FILE} "
            f"declares upgrades from: {declared}",
            field="release",
        )
    return data.upgrades_from[old]
