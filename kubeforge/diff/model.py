"""The diff's records: two sides (what a cluster runs, what it will run) and the report between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from kubeforge.k8s import KObj

# Blocking stops the upgrade (exit 1); the others are done or reported by the upgrade, each with its reason.
Severity = Literal["blocking", "migration", "replace", "retained", "stepped"]
SEVERITY_ORDER: dict[str, int] = {"blocking": 0, "migration": 1, "replace": 2, "retained": 3, "stepped": 4}


@dataclass
class Side:
    """One render: its release, profile, and objects by component (install order kept)."""

    label: str  # how the user named it: a release, a spec file, a render folder
    release: str
    profile: str
    versions: dict[str, str]  # component -> upstream version
    objects: dict[str, list[KObj]]  # component -> objects


@dataclass(frozen=True)
class Danger:
    severity: Severity
    kind: str  # crd-version-unserved, storage-migration, immutable-field, step-limited, stateful-deletion
    component: str
    object: str  # Kind/namespace/name, or the component for a version step
    why: str

    def to_json(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in ("severity", "kind", "component", "object", "why")}


@dataclass
class ComponentDiff:
    name: str
    old_version: str | None
    new_version: str | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # object -> changed field paths (short)
    images: list[tuple[str | None, str | None]] = field(default_factory=list)  # (old, new); None: added/removed

    @property
    def empty(self) -> bool:
        same = self.old_version == self.new_version
        return same and not (self.added or self.removed or self.changed or self.images)

    def to_json(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "images": [{"old": a, "new": b} for a, b in self.images],
        }


@dataclass
class Report:
    old: Side
    new: Side
    components: list[ComponentDiff]
    dangers: list[Danger]
    migrations: list[dict[str, str]] = field(default_factory=list)  # the release's upgrade.yaml steps

    @property
    def blocking(self) -> list[Danger]:
        return [d for d in self.dangers if d.severity == "blocking"]

    def to_json(self) -> dict[str, Any]:
        return {
            "from": {"label": self.old.label, "release": self.old.release, "profile": self.old.profile},
            "to": {"label": self.new.label, "release": self.new.release, "profile": self.new.profile},
            "blocking": len(self.blocking),
            "dangers": [d.to_json() for d in self.dangers],
            "components": {c.name: c.to_json() for c in self.components if not c.empty},
            "migrations": self.migrations,
        }
