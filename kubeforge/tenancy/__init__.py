"""Teams: each becomes an isolated namespace, rendered from the spec (no runtime controller)."""

from __future__ import annotations

from kubeforge.k8s import KObj
from kubeforge.release.model import Lock
from kubeforge.spec.model import PlatformSpec, Team
from kubeforge.spec.teams import check_teams
from kubeforge.tenancy.kfp import kfp_objects
from kubeforge.tenancy.mesh import mesh_objects
from kubeforge.tenancy.namespace import limit_range, namespace, profile, resource_quota, service_accounts
from kubeforge.tenancy.network import network_policies
from kubeforge.tenancy.rbac import role_bindings

__all__ = ["one_team", "team_objects"]


def one_team(spec: PlatformSpec, lock: Lock, team: Team) -> list[KObj]:
    return [
        namespace(spec, team),
        profile(team),
        *service_accounts(team),
        *role_bindings(spec, team),
        resource_quota(team),
        limit_range(team),
        *network_policies(spec, team),
        *mesh_objects(spec, team),
        *kfp_objects(spec, lock, team),
    ]


def team_objects(spec: PlatformSpec, lock: Lock) -> list[KObj]:
    """Every object of every team, teams in name order, each team's objects in a fixed order."""
    check_teams(spec)
    return [o for team in sorted(spec.teams, key=lambda t: t.name) for o in one_team(spec, lock, team)]
