"""Team isolation against a team member: rewrites of upstream objects (tenant roles without network
writes, per-team artifact-store identities, stores scoped by caller, database users of their own) and
the admission baseline tenants cannot change. `isolate` runs in the render after the identity rewrite."""

from __future__ import annotations

from kubeforge.isolation.admission import baseline_objects
from kubeforge.isolation.databases import own_database_users
from kubeforge.isolation.roles import TENANT_DENIED, strip_tenant_roles
from kubeforge.isolation.stores import isolate_stores
from kubeforge.k8s import KObj
from kubeforge.release.model import Lock
from kubeforge.spec.model import PlatformSpec

__all__ = ["TENANT_DENIED", "baseline_objects", "isolate"]


def isolate(spec: PlatformSpec, lock: Lock, objects: list[KObj]) -> list[KObj]:
    """The objects with tenant roles and shared stores rewritten (changed objects are copies)."""
    return own_database_users(isolate_stores(spec, lock, strip_tenant_roles(objects)))
