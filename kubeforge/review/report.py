"""The review report as plain data (written as review.json) and its flattening into grant lines."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kubeforge.isolation.datapaths import identities
from kubeforge.k8s import KObj, labels_of, name_of, namespace_of, pod_spec
from kubeforge.policy.isolation_rules import OPEN_POLICIES, team_namespaces
from kubeforge.policy.rbac import Rbac
from kubeforge.policy.rules import ALLOWED_PRIVILEGED, host_access
from kubeforge.render.transforms.images import images_of
from kubeforge.security.allows import platform_allows
from kubeforge.security.declared import ANYWHERE, EVERY_TEAM, Allow, Side
from kubeforge.security.inventory import Inventory
from kubeforge.security.permissive import PERMISSIVE_PORTS
from kubeforge.spec.model import PlatformSpec

Report = dict[str, Any]
_SHARED = "shared"  # marks the reason of a team-reachable store with no per-namespace access control


def _side(side: Side) -> str:
    if side.cidrs:
        return ",".join(side.cidrs)
    if side.namespace == ANYWHERE:
        return "anywhere"
    ns = "every team" if side.namespace == EVERY_TEAM else side.namespace
    if side.namespace_labels:
        ns += "{" + ",".join(f"{k}={v}" for k, v in sorted(side.namespace_labels.items())) + "}"
    pods = ",".join(f"{k}={v}" for k, v in sorted((side.pods or {}).items()))
    return f"{ns}/{{{pods}}}" if pods else f"{ns}/*"


def _ports(allow: Allow) -> list[str]:
    return [f"{proto} {port}" for proto, port in allow.ports] or ["all ports"]


def _grant_map(grants: set[tuple[str, str, str]]) -> dict[str, list[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for group, resource, verb in grants:
        out[f"{group or 'core'}/{resource}"].add(verb)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _rule_text(rule: dict[str, Any]) -> dict[str, Any]:
    who: list[str] = []
    for f in rule.get("from") or []:
        src = f.get("source") or {}
        for key in ("principals", "namespaces", "requestPrincipals", "notPrincipals", "ipBlocks"):
            who += [f"{key}:{v}" for v in src.get(key) or []]
    for w in rule.get("when") or []:
        who += [f"{w.get('key')}={v}" for v in w.get("values") or []]
    ops = [t.get("operation") or {} for t in rule.get("to") or []]
    return {
        "who": who or ["any caller"],
        "methods": sorted({m for op in ops for m in op.get("methods") or []}) or ["any"],
        "paths": sorted({p for op in ops for p in op.get("paths") or []}) or ["any"],
        "not_paths": sorted({p for op in ops for p in op.get("notPaths") or []}),
        "ports": sorted({p for op in ops for p in op.get("ports") or []}) or ["any"],
    }


def _mesh(objects: list[KObj]) -> list[dict[str, Any]]:
    out = []
    for o in objects:
        if o.get("kind") == "AuthorizationPolicy":
            spec = o.get("spec") or {}
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            out.append(
                {
                    "policy": name_of(o),
                    "action": spec.get("action", "ALLOW"),
                    "workloads": ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "every workload",
                    "rules": [_rule_text(r or {}) for r in spec.get("rules") or []],
                }
            )
    return sorted(out, key=lambda p: p["policy"])


def _egress(objects: list[KObj]) -> list[str]:
    """Addresses a team reaches outside the cluster, from its own NetworkPolicies."""
    out = set()
    for o in objects:
        if o.get("kind") == "NetworkPolicy":
            for rule in (o.get("spec") or {}).get("egress") or []:
                ports = (
                    ",".join(f"{p.get('protocol', 'TCP')} {p.get('port')}" for p in rule.get("ports") or [])
                    or "all ports"
                )
                for peer in rule.get("to") or []:
                    block = peer.get("ipBlock")
                    if block:
                        excepts = f" except {','.join(block['except'])}" if block.get("except") else ""
                        out.add(f"{block['cidr']}{excepts} on {ports}")
    return sorted(out)


def _workload_reasons(objects: list[KObj]) -> list[dict[str, str]]:
    allowed = {(a.namespace, a.name): a.reason for a in ALLOWED_PRIVILEGED}
    flagged: dict[tuple[str, str], set[str]] = defaultdict(set)
    for o in objects:
        if pod_spec(o) is not None and (namespace_of(o), name_of(o)) in allowed:
            flagged[(namespace_of(o) or "", name_of(o))].add("allow-listed host access")
    for o, message in host_access(objects, None):  # type: ignore[arg-type]
        flagged[(namespace_of(o) or "", name_of(o))].add(message)
    return [
        {"workload": f"{ns}/{n}", "access": "; ".join(sorted(v)), "reason": allowed.get((ns, n), "NOT ALLOW-LISTED")}
        for (ns, n), v in sorted(flagged.items())
    ]


def build_review(spec: PlatformSpec, objects: list[KObj]) -> Report:
    inv = Inventory(objects)
    allows, _ = platform_allows(spec, inv)
    rbac = Rbac(objects)
    teams = sorted(team_namespaces(objects))
    bindings_by_ns: dict[str, list[dict[str, str]]] = defaultdict(list)
    roles_used: set[str] = set()
    for b in rbac.bindings:
        if b.namespace in teams:
            roles_used.add(b.role)
            for kind, subject, sa_ns in b.subjects:
                who = f"{kind} {sa_ns}/{subject}" if kind == "ServiceAccount" else f"{kind} {subject}"
                bindings_by_ns[b.namespace].append({"subject": who, "role": f"{b.role_kind} {b.role}"})
    into = [a for a in allows if a.dst.namespace == EVERY_TEAM]
    out_of = [a for a in allows if a.src.namespace == EVERY_TEAM]
    reach_in = [{"from": _side(a.src), "ports": _ports(a), "reason": a.reason} for a in into]
    reach_out = [{"to": _side(a.dst), "ports": _ports(a), "reason": a.reason} for a in out_of]
    s3 = {i.value_id: i for i in identities(objects)}
    keys = {
        namespace_of(o): ((o.get("metadata") or {}).get("annotations") or {}).get("kubeforge.io/generated-secret", "")
        for o in objects
        if o.get("kind") == "Secret" and name_of(o) == "mlpipeline-minio-artifact"
    }
    by_ns: dict[str, list[KObj]] = defaultdict(list)
    team_set = set(teams)
    for o in objects:
        ns = namespace_of(o) or (name_of(o) if o.get("kind") == "Namespace" else "")
        if ns in team_set:
            by_ns[ns].append(o)
    team_reports = []
    for team in teams:
        mine = by_ns[team]
        key = next((v.split("=", 1)[1] for v in str(keys.get(team, "")).split(",") if v.startswith("accesskey=")), "")
        identity = s3.get(key)
        team_reports.append(
            {
                "team": team,
                "pod_security": labels_of(next(o for o in mine if o.get("kind") == "Namespace")).get(
                    "pod-security.kubernetes.io/enforce", ""
                ),
                "rbac": sorted(bindings_by_ns[team], key=lambda b: (b["role"], b["subject"])),
                "mesh": _mesh(mine),
                "egress": _egress(mine),
                "artifacts": {"identity": identity.user, "actions": list(identity.actions)} if identity else None,
            }
        )
    return {
        "profile": spec.profile,
        "roles": {r.split(" ")[-1]: _grant_map(rbac.role_grants("ClusterRole", r)) for r in sorted(roles_used)},
        "teams": team_reports,
        "reach_into_teams": reach_in,
        "reach_from_teams": reach_out,
        "shared_stores": [f for f in reach_out if _SHARED in f["reason"]],
        "permissive": [
            {
                "workload": f"{p.namespace}/{{{','.join(f'{k}={v}' for k, v in sorted(p.pods.items()))}}}",
                "port": p.port,
                "reason": p.reason,
            }
            for p in PERMISSIVE_PORTS
            if inv.pods(p.namespace, p.pods)
        ],
        "open_policies": [
            {"policy": f"{p.namespace}/{p.name}", "reason": p.reason}
            for p in OPEN_POLICIES
            if any(
                o.get("kind") == "AuthorizationPolicy" and (namespace_of(o), name_of(o)) == (p.namespace, p.name)
                for o in objects
            )
        ],
        "privileged": _workload_reasons(objects),
        "images": images_of(objects),
    }


def grants(report: Report) -> set[str]:
    """Every grant of the report as one line; the approved report's lines are what was approved."""
    out: set[str] = set()
    for role, resources in report.get("roles", {}).items():
        out |= {f"role {role}: {verb} {res}" for res, verbs in resources.items() for verb in verbs}
    for t in report.get("teams", []):
        team = t["team"]
        out |= {f"team {team}: {b['subject']} bound to {b['role']}" for b in t["rbac"]}
        for p in t["mesh"]:
            for r in p["rules"]:
                for who in r["who"]:
                    ops = f"methods {','.join(r['methods'])} paths {','.join(r['paths'])} ports {','.join(r['ports'])}"
                    if r["not_paths"]:
                        ops += f" not {','.join(r['not_paths'])}"
                    out.add(f"team {team}: {p['action']} {who} to {p['workloads']} ({p['policy']}) {ops}")
        out |= {f"team {team}: egress {e}" for e in t["egress"]}
        if t.get("artifacts"):
            out |= {f"team {team}: artifacts {a}" for a in t["artifacts"]["actions"]}
    out |= {f"into teams from {r['from']} on {p}" for r in report.get("reach_into_teams", []) for p in r["ports"]}
    out |= {f"teams reach {r['to']} on {p}" for r in report.get("reach_from_teams", []) for p in r["ports"]}
    out |= {f"PERMISSIVE {p['workload']}:{p['port']}" for p in report.get("permissive", [])}
    out |= {f"open policy {p['policy']}" for p in report.get("open_policies", [])}
    out |= {f"privileged {p['workload']}: {p['access']}" for p in report.get("privileged", [])}
    out |= {f"image {i}" for i in report.get("images", [])}
    return out


def new_grants(report: Report, approved: Report) -> list[str]:
    return sorted(grants(report) - grants(approved))
