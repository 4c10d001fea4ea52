"""Rules for team isolation against a team member: open mesh policies, tenant roles that can undo
isolation, generated credentials shared across a team boundary, viewers that can write, and team
egress to private ranges wider than the API server."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from kubeforge.k8s import KObj, labels_of, name_of, namespace_of
from kubeforge.names import GENERATED_SECRET_ANNOTATION as GENERATED_SECRET
from kubeforge.names import TEAM_LABEL
from kubeforge.policy.rbac import Rbac, can
from kubeforge.secrets import parse_annotation

USERID = "request.headers[kubeflow-userid]"
GROUPS = "request.auth.claims[groups]"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
INTERACTIVE_PATHS = ("/notebook/*", "/tensorboard/*")
TEAM_ROLES = ("kubeflow-admin", "kubeflow-edit", "kubeflow-view")
# Writes that let a member undo the namespace's isolation: (group, resource, verb).
TENANT_FORBIDDEN = (
    ("networking.k8s.io", "networkpolicies", "create"),
    ("networking.k8s.io", "networkpolicies", "patch"),
    ("networking.k8s.io", "networkpolicies", "update"),
    ("networking.k8s.io", "networkpolicies", "delete"),
    ("", "endpoints", "create"),
    ("", "endpoints", "patch"),
    ("", "endpoints", "update"),
    ("discovery.k8s.io", "endpointslices", "create"),
    ("discovery.k8s.io", "endpointslices", "update"),
    ("rbac.authorization.k8s.io", "clusterroles", "bind"),
    ("rbac.authorization.k8s.io", "clusterroles", "escalate"),
    ("rbac.authorization.k8s.io", "roles", "escalate"),
)
BROAD_PRIVATE = ("10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")


@dataclass(frozen=True)
class OpenPolicy:
    namespace: str
    name: str
    reason: str


_API_SERVER = "the API server calls this webhook with no mesh identity; the webhook port is its only listener"
# AuthorizationPolicies that admit any caller, each with why no caller identity can be required.
OPEN_POLICIES = (
    OpenPolicy(
        "istio-system",
        "istio-ingressgateway",
        "the entry point: oauth2-proxy (CUSTOM) and the JWT DENY policy authenticate",
    ),
    OpenPolicy(
        "auth",
        "dex",
        "plain-text callers only GET /dex/keys (Dex's public signing keys): istiod, which has no sidecar, "
        "fetches them for RequestAuthentication; every other path needs the gateway's or oauth2-proxy's identity",
    ),
    OpenPolicy("istio-system", "cluster-local-gateway", "in-cluster entry point; each destination's policy authorizes"),
    OpenPolicy(
        "knative-serving",
        "activator-service",
        "proxies to scaled-to-zero services; the destination's policy authorizes",
    ),
    OpenPolicy("knative-serving", "autoscaler", "receives queue-proxy statistics from every revision"),
    OpenPolicy("knative-serving", "controller", "serves only its metrics and probes"),
    OpenPolicy("knative-serving", "istio-webhook", _API_SERVER),
    OpenPolicy("knative-serving", "webhook", _API_SERVER),
    OpenPolicy("kubeflow", "service-cache-server", _API_SERVER),
    OpenPolicy(
        "kubeflow",
        "seaweedfs-service",
        "S3 port only, for sidecar-less pipeline pods: each request is signed with the team's own key, "
        "which SeaweedFS limits to the team's prefixes",
    ),
    OpenPolicy(
        "kubeflow",
        "metadata-grpc-service",
        "plain-text callers on 8080 only: the launcher in sidecar-less pipeline pods; ML Metadata has no "
        "per-namespace access control (shared, see README)",
    ),
)
_POSITIVE = ("principals", "namespaces", "requestPrincipals", "ipBlocks", "remoteIpBlocks")


def team_namespaces(objects: list[KObj]) -> set[str]:
    return {name_of(o) for o in objects if o.get("kind") == "Namespace" and TEAM_LABEL in labels_of(o)}


def _any_source(rule: dict[str, object]) -> bool:
    """Whether the rule admits callers without naming who they are."""
    if rule.get("when"):
        return False
    sources = [f.get("source") or {} for f in rule.get("from") or []]  # type: ignore[attr-defined]
    return not sources or any(not any(s.get(k) for k in _POSITIVE) for s in sources)


def open_policies(objects: list[KObj], ctx: object) -> Iterable[tuple[KObj, str]]:
    allowed = {(p.namespace, p.name) for p in OPEN_POLICIES}
    for o in objects:
        if o.get("kind") != "AuthorizationPolicy" or (namespace_of(o), name_of(o)) in allowed:
            continue
        spec = o.get("spec") or {}
        if spec.get("action", "ALLOW") != "ALLOW":
            continue
        for i, rule in enumerate(spec.get("rules") or []):
            if _any_source(rule or {}):
                yield (
                    o,
                    f"rule {i} admits any caller; name the callers (principals) or add it to OPEN_POLICIES with a reason",
                )


def tenant_roles(objects: list[KObj], ctx: object) -> Iterable[tuple[KObj, str]]:
    teams = team_namespaces(objects)
    rbac = Rbac(objects)
    by_ident = {
        (o.get("kind"), namespace_of(o), name_of(o)): o for o in objects if o.get("kind", "").endswith("Binding")
    }
    team_subjects: set[tuple[str, str]] = set()
    for b in rbac.bindings:
        if b.namespace in teams:
            team_subjects |= {(k, n) for k, n, ns in b.subjects if k != "ServiceAccount"}
    for b in rbac.bindings:
        kind = "RoleBinding" if b.namespace is not None else "ClusterRoleBinding"
        o = by_ident[(kind, b.namespace, b.name)]
        team_sa = [n for k, n, ns in b.subjects if k == "ServiceAccount" and ns in teams]
        if b.namespace in teams:
            if b.role_kind == "ClusterRole" and b.role not in TEAM_ROLES:
                yield o, f"binds ClusterRole {b.role} in a team namespace (only {', '.join(TEAM_ROLES)})"
            grants = rbac.binding_grants(b)
            bad = sorted({f"{v} {r}" for g, r, v in TENANT_FORBIDDEN if can(grants, g, r, v)})
            if bad:
                yield o, f"team role {b.role} can {', '.join(bad)}: a member could undo the namespace's isolation"
        elif team_sa or any((k, n) in team_subjects for k, n, _ in b.subjects):
            where = f"namespace {b.namespace}" if b.namespace else "the whole cluster"
            yield o, f"grants a team's subject {b.role} in {where} (pods/exec, secrets beyond its namespace)"


def shared_credentials(objects: list[KObj], ctx: object) -> Iterable[tuple[KObj, str]]:
    from kubeforge.isolation.stores import IDENTITIES_SECRET

    teams = team_namespaces(objects)
    holders: dict[str, list[KObj]] = {}
    for o in objects:
        value = ((o.get("metadata") or {}).get("annotations") or {}).get(GENERATED_SECRET)
        if o.get("kind") != "Secret" or not value or (namespace_of(o), name_of(o)) == ("kubeflow", IDENTITIES_SECRET):
            continue  # the identity store is the server side of every team key: it verifies, never calls
        for value_id in set(parse_annotation(str(value)).values()):
            holders.setdefault(value_id, []).append(o)
    for value_id, secrets in sorted(holders.items()):
        spaces = sorted({namespace_of(s) or "" for s in secrets})
        in_teams = [n for n in spaces if n in teams]
        if in_teams and len(spaces) > 1:
            for s in secrets:
                if namespace_of(s) in teams:
                    yield (
                        s,
                        f"generated value {value_id} is also held in {', '.join(n for n in spaces if n != namespace_of(s))}",
                    )


def _viewers(objects: list[KObj], teams: set[str]) -> dict[str, tuple[set[str], set[str]]]:
    out: dict[str, tuple[set[str], set[str]]] = {ns: (set(), set()) for ns in teams}
    for o in objects:
        if (
            o.get("kind") == "RoleBinding"
            and namespace_of(o) in teams
            and (o.get("roleRef") or {}).get("name") == "kubeflow-view"
        ):
            users, groups = out[namespace_of(o) or ""]
            for s in o.get("subjects") or []:
                (users if s.get("kind") == "User" else groups if s.get("kind") == "Group" else set()).add(
                    str(s.get("name"))
                )
    return out


def _read_only(rule: dict[str, object]) -> bool:
    ops = [t.get("operation") or {} for t in rule.get("to") or []]  # type: ignore[attr-defined]
    return bool(ops) and all(
        op.get("methods")
        and set(op["methods"]) <= READ_METHODS
        and set(INTERACTIVE_PATHS) <= set(op.get("notPaths") or [])
        for op in ops
    )


def viewer_writes(objects: list[KObj], ctx: object) -> Iterable[tuple[KObj, str]]:
    teams = team_namespaces(objects)
    viewers = _viewers(objects, teams)
    for o in objects:
        if o.get("kind") != "AuthorizationPolicy" or namespace_of(o) not in teams:
            continue
        users, groups = viewers[namespace_of(o) or ""]
        for i, rule in enumerate((o.get("spec") or {}).get("rules") or []):
            who = {
                str(v)
                for w in rule.get("when") or []
                if w.get("key") in (USERID, GROUPS)
                for v in w.get("values") or []
            }
            hit = sorted(who & (users | groups))
            if hit and not _read_only(rule):
                yield (
                    o,
                    f"rule {i} lets viewer {hit[0]} write or open a notebook/tensorboard (allow only GET/HEAD/OPTIONS, not those paths)",
                )


def _covers(outer: str, inner: str) -> bool:
    a, b = ipaddress.ip_network(outer), ipaddress.ip_network(inner)
    return a.version == b.version and b.network_address in a and b.broadcast_address in a


def _broad(cidr: str, excepts: list[str]) -> str | None:
    """The first whole private range `cidr` reaches (not carved out by `excepts`), or None."""
    for wide in BROAD_PRIVATE:
        if _covers(cidr, wide) and not any(_covers(e, wide) for e in excepts):
            return wide
    return None


def wide_private_egress(objects: list[KObj], ctx: object) -> Iterable[tuple[KObj, str]]:
    if getattr(ctx, "kind", False):
        return  # kind: the API server's node address is not known ahead
    teams = team_namespaces(objects)
    for o in objects:
        if o.get("kind") != "NetworkPolicy" or namespace_of(o) not in teams:
            continue
        for rule in (o.get("spec") or {}).get("egress") or []:
            for peer in rule.get("to") or []:
                block = peer.get("ipBlock")
                if block:
                    wide = _broad(str(block.get("cidr")), [str(e) for e in block.get("except") or []])
                    if wide:
                        yield (
                            o,
                            f"egress to {block.get('cidr')} spans {wide} (pods and nodes): pin it to the API server or the allow-list",
                        )
