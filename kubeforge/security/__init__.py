"""Platform security: mesh-wide STRICT mTLS and default-deny NetworkPolicies in every platform
namespace, with exactly the allows derived from the rendered objects (see `allows`)."""

from __future__ import annotations

from kubeforge.k8s import KObj
from kubeforge.names import PLATFORM_NAMESPACES
from kubeforge.security.allows import platform_allows
from kubeforge.security.authz import identity_policies
from kubeforge.security.declared import COMPONENT_FLOWS, Allow, Side
from kubeforge.security.inventory import Inventory
from kubeforge.security.netpols import allow_policies, default_deny
from kubeforge.security.permissive import PERMISSIVE_PORTS, PermissivePort, mesh_strict, permissive_objects
from kubeforge.spec.model import PlatformSpec

__all__ = [
    "COMPONENT_FLOWS",
    "PERMISSIVE_PORTS",
    "Allow",
    "Inventory",
    "PermissivePort",
    "Side",
    "platform_allows",
    "platform_namespaces",
    "platform_security",
]


def platform_namespaces(inv: Inventory) -> list[str]:
    """Platform namespaces the render creates (by Namespace object or by holding workloads)."""
    return [ns for ns in PLATFORM_NAMESPACES if ns in inv.namespaces or ns in inv.workloads]


def platform_security(spec: PlatformSpec, objects: list[KObj]) -> list[KObj]:
    """Mesh STRICT, PERMISSIVE exceptions, default deny and derived allows; `objects` is only read."""
    inv = Inventory(objects)
    namespaces = platform_namespaces(inv)
    allows, _ = platform_allows(spec, inv)
    pods = {ns: [w.labels for w in ws] for ns, ws in inv.workloads.items()}
    out = [mesh_strict(), *permissive_objects(objects, pods), *identity_policies(inv)]
    out += [default_deny(ns) for ns in namespaces]
    out += allow_policies(allows, namespaces)
    return out
