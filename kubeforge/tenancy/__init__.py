"""Teams: each becomes an isolated namespace, rendered from the spec (no runtime controller)."""

from __future__ import annotations

from kubeforge.k8s import KObj
from kubeforge.release.model import Lock
from kubeforge.spec.model import PlatformSpec, Team
from kubeforge.spec.teams import check_teams
from kubeforge.tenancy.kfp import kfp_objects, kfp_rendered
from kubeforge.tenancy.mesh import mesh_objects
from kubeforge.tenancy.namespace import limit_range, namespace, profile, resource_quota, service_accounts
from kubeforge.tenancy.network import network_policies
from kubeforge.tenancy.objectstore import ObjectStore, object_store
from kubeforge.tenancy.rbac import role_bindings

__all__ = ["kfp_store", "one_team", "team_objects"]


def kfp_store(spec: PlatformSpec, lock: Lock, objects: list[KObj]) -> ObjectStore | None:
    """KFP's in-cluster object store as the render has it; None when this render has no KFP or its store is
    a managed one (data.artifacts: the in-cluster store's objects are gone)."""
    rendered = kfp_rendered(spec, lock) and not spec.data.artifacts.managed
    return object_store(lock.release, objects) if rendered else None


def one_team(spec: PlatformSpec, lock: Lock, team: Team, store: ObjectStore | None) -> list[KObj]:
    return [
        namespace(spec, team),
        profile(team),
        *service_accounts(team),
        *role_bindings(spec, team),
        resource_quota(team),
        limit_range(team),
        *network_policies(spec, team, kfp_rendered(spec, lock), store),
        *mesh_objects(spec, team),
        *kfp_objects(spec, lock, team, store),
    ]


def team_objects(spec: PlatformSpec, lock: Lock, store: ObjectStore | None) -> list[KObj]:
    """Every object of every team, teams in name order, each team's objects in a fixed order.
    `store` is KFP's object store as the upstream render has it (`kfp_store`), None without KFP."""
    check_teams(spec)
    return [o for team in sorted(spec.teams, key=lambda t: t.name) for o in one_team(spec, lock, team, store)]
