"""Specs with N teams, built on the kind profile."""

from __future__ import annotations

from typing import Any

from kubeforge.k8s import KObj
from kubeforge.release.store import load_lock
from kubeforge.spec.load import load_spec
from kubeforge.spec.model import PlatformSpec
from kubeforge.tenancy import kfp_store, team_objects


def team(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"team-{i:04d}",
        "owners": [f"owner{i}@example.com"],
        "members": [f"member{i}@example.com"],
        "viewers": [f"viewer{i}@example.com"],
        "groups": {"members": [f"grp-{i}"]},
        "egress": {"cidrs": [f"10.{i // 256}.{i % 256}.0/24"]} if i % 2 else {"internet": True},
        **extra,
    }


def spec_with_teams(n: int, profile: str = "kind") -> PlatformSpec:
    base = load_spec(profile)
    data = base.model_dump(mode="json")
    data["teams"] = [team(i) for i in range(n)]
    return PlatformSpec.model_validate(data)


def teams_of(spec: PlatformSpec, upstream: list[KObj]) -> list[KObj]:
    """The spec's team objects, KFP's object store read from a real upstream render, as the render does."""
    lock = load_lock(spec.release)
    return team_objects(spec, lock, kfp_store(spec, lock, upstream))
