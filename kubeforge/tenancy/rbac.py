"""RoleBindings named and annotated as the profile controller and KFAM name them, so the dashboard's
contributor list shows them and KFAM can remove them."""

from __future__ import annotations

import hashlib
import re

from kubeforge.k8s import KObj, meta, obj
from kubeforge.names import TEAMS_COMPONENT
from kubeforge.spec.model import PlatformSpec, Team

RBAC = "rbac.authorization.k8s.io"
ROLES = {"owner": "kubeflow-admin", "member": "kubeflow-edit", "viewer": "kubeflow-view"}
# KFAM's annotation value per ClusterRole, read by the dashboard.
SHORT = {"kubeflow-admin": "admin", "kubeflow-edit": "edit", "kubeflow-view": "view"}
OWNER_BINDING = "namespaceAdmin"


def binding_name(kind: str, name: str, role: str) -> str:
    """KFAM's name: `<kind>-<name>-clusterrole-<role>`, lowercased, other characters as '-'.
    Groups get a hash suffix: two group names may differ only in characters that become '-'."""
    raw = re.sub(r"[^a-z0-9-]", "-", f"{kind}-{name}-clusterrole-{role}".lower())
    if kind == "group":
        raw = f"{raw}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return raw[:253]


def _binding(team: Team, name: str, role: str, subject: dict[str, str], annotations: dict[str, str]) -> KObj:
    md = meta(name, team.name, TEAMS_COMPONENT)
    if annotations:
        md["annotations"] = annotations
    return obj(
        f"{RBAC}/v1",
        "RoleBinding",
        md,
        roleRef={"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        subjects=[subject],
    )


def team_users(team: Team) -> list[tuple[str, str]]:
    """(email, ClusterRole) for every person of the team; a person listed twice keeps the strongest role."""
    seen: dict[str, str] = {}
    for role, people in (("owner", team.owners), ("member", team.members), ("viewer", team.viewers)):
        for email in people:
            seen.setdefault(email, ROLES[role])
    return list(seen.items())


def team_groups(spec: PlatformSpec, team: Team) -> list[tuple[str, str]]:
    """(group, ClusterRole) from the team's own groups and identity.groups, strongest role first."""
    pairs: list[tuple[str, str]] = []
    for role, groups in (
        ("owner", team.groups.owners),
        ("member", team.groups.members),
        ("viewer", team.groups.viewers),
    ):
        pairs.extend((g, ROLES[role]) for g in groups)
    pairs.extend((m.group, ROLES[m.role]) for m in spec.identity.groups if m.team == team.name)
    order = list(ROLES.values())
    seen: dict[str, str] = {}
    for group, role in sorted(pairs, key=lambda p: order.index(p[1])):
        seen.setdefault(group, role)
    return sorted(seen.items())


def role_bindings(spec: PlatformSpec, team: Team) -> list[KObj]:
    ns = team.name
    user = {"apiGroup": RBAC, "kind": "User"}
    out = []
    for i, (email, role) in enumerate(team_users(team)):
        name = OWNER_BINDING if i == 0 else binding_name("user", email, role)
        out.append(_binding(team, name, role, {**user, "name": email}, {"role": SHORT[role], "user": email}))
    for group, role in team_groups(spec, team):
        subject = {"apiGroup": RBAC, "kind": "Group", "name": group}
        out.append(
            _binding(team, binding_name("group", group, role), role, subject, {"role": SHORT[role], "group": group})
        )
    for sa, role in (("default-editor", "kubeflow-edit"), ("default-viewer", "kubeflow-view")):
        subject = {"kind": "ServiceAccount", "name": sa, "namespace": ns}
        out.append(_binding(team, sa, role, subject, {}))
    return out
