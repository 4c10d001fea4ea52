"""The URNs the engine gives the stack's Kubernetes objects, computed without the engine.

A yaml/v2 ConfigGroup registers each object as a child named `<resourcePrefix>-<namespace>/<name>` (no
namespace: `<prefix>-<name>`) of type `kubernetes:<group or core>/<version>:<Kind>`; a child's URN is its
parent chain's types, its type and its name. The upgrade checks compare these across releases.
"""

from __future__ import annotations

from kubeforge.k8s import KObj, api_group, name_of, namespace_of

Identity = tuple[str, str, str, str]  # API group, kind, namespace ("" when cluster-scoped), name


def identity(obj: KObj) -> Identity:
    """What names one object in a cluster across releases (its served version may change)."""
    return api_group(obj), str(obj.get("kind", "")), namespace_of(obj) or "", name_of(obj)


def type_token(obj: KObj) -> str:
    api_version = str(obj.get("apiVersion", ""))
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{obj.get('kind')}"


def child_name(prefix: str, obj: KObj) -> str:
    ns = namespace_of(obj)
    name = f"{ns}/{name_of(obj)}" if ns else name_of(obj)
    return f"{prefix}-{name}" if prefix else name


def child_urn(parent_urn: str, prefix: str, obj: KObj) -> str:
    """The URN of a ConfigGroup's child: `urn:pulumi:STACK::PROJECT::PARENT-TYPES$TYPE::NAME`."""
    head, _, _ = parent_urn.rpartition("::")  # drop the parent's own name
    return f"{head}${type_token(obj)}::{child_name(prefix, obj)}"
