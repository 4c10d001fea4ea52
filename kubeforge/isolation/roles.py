"""Tenant ClusterRoles (aggregated into kubeflow-admin/edit/view, bound in team namespaces) lose the
verbs that let a member undo the namespace's network isolation: writing NetworkPolicies, Endpoints
or EndpointSlices. Upstream's kubeflow-kubernetes-edit grants them (copied from Kubernetes' `edit`)."""

from __future__ import annotations

import copy

from kubeforge.k8s import KObj

AGGREGATE = "rbac.authorization.kubeflow.org/aggregate-to-kubeflow-"
TEAM_ROLES = ("kubeflow-admin", "kubeflow-edit", "kubeflow-view")
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection", "*"})
# (API group, resource) a tenant may read but never write, each with the reason.
TENANT_DENIED: dict[tuple[str, str], str] = {
    ("networking.k8s.io", "networkpolicies"): "one egress [{}] policy undoes the team's default-deny",
    ("extensions", "networkpolicies"): "one egress [{}] policy undoes the team's default-deny",
    ("", "endpoints"): "hand-written Endpoints point a Service at any address, past the NetworkPolicies",
    ("discovery.k8s.io", "endpointslices"): "hand-written EndpointSlices point a Service at any address",
}


def is_tenant_role(obj: KObj) -> bool:
    """A ClusterRole that ends up in a team role: one of them, or aggregated into one."""
    if obj.get("kind") != "ClusterRole":
        return False
    labels = (obj.get("metadata") or {}).get("labels") or {}
    name = str((obj.get("metadata") or {}).get("name", ""))
    return name in TEAM_ROLES or any(k.startswith(AGGREGATE) and v == "true" for k, v in labels.items())


def denies(group: str, resource: str) -> bool:
    """Whether (group, resource), wildcards included, names something tenants may not write."""
    return any(group in (g, "*") and resource in (r, "*") for g, r in TENANT_DENIED)


def _strip(rule: dict[str, object]) -> list[dict[str, object]]:
    """The rule without write verbs on denied resources: split into what stays allowed."""
    groups = [str(g) for g in rule.get("apiGroups") or [""]]  # type: ignore[attr-defined]
    resources = [str(r) for r in rule.get("resources") or []]  # type: ignore[attr-defined]
    verbs = [str(v) for v in rule.get("verbs") or []]  # type: ignore[attr-defined]
    denied = [r for r in resources if any(denies(g, r) for g in groups)]
    if not denied or not WRITE_VERBS & set(verbs):
        return [rule]
    out: list[dict[str, object]] = []
    kept = [r for r in resources if r not in denied]
    if kept:
        out.append({**rule, "resources": kept})
    reads = [v for v in verbs if v not in WRITE_VERBS]
    if "*" in verbs:
        reads = ["get", "list", "watch"]
    if reads:
        out.append({**rule, "resources": denied, "verbs": reads})
    return out


def strip_tenant_roles(objects: list[KObj]) -> list[KObj]:
    out = []
    for obj in objects:
        if is_tenant_role(obj) and obj.get("rules"):
            new = copy.deepcopy(obj)
            new["rules"] = [r for rule in new["rules"] for r in _strip(rule)]
            out.append(new)
        else:
            out.append(obj)
    return out
