"""The review report as Markdown, for people: one section per team, then the platform's exceptions."""

from __future__ import annotations

from typing import Any


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return [*lines, ""]


def to_markdown(report: dict[str, Any]) -> str:
    out = [f"# Security review: profile {report['profile']}", ""]
    out += ["## Team roles (resolved, aggregation included)", ""]
    for role, resources in report["roles"].items():
        out += [f"### {role}", ""]
        out += _table(["resource", "verbs"], [[r, ", ".join(v)] for r, v in resources.items()])
    out += ["## Reachability", "", "Into every team namespace:", ""]
    out += _table(
        ["from", "ports", "why"], [[r["from"], ", ".join(r["ports"]), r["reason"]] for r in report["reach_into_teams"]]
    )
    out += ["From every team namespace:", ""]
    out += _table(
        ["to", "ports", "why"], [[r["to"], ", ".join(r["ports"]), r["reason"]] for r in report["reach_from_teams"]]
    )
    out += ["Shared stores (reachable by every team, no per-namespace access control):", ""]
    out += _table(
        ["store", "ports", "why"], [[r["to"], ", ".join(r["ports"]), r["reason"]] for r in report["shared_stores"]]
    )
    for t in report["teams"]:
        out += [f"## Team {t['team']}", "", f"Pod Security: `{t['pod_security']}`", "", "RBAC:", ""]
        out += _table(["subject", "role"], [[b["subject"], b["role"]] for b in t["rbac"]])
        out += ["Mesh policies:", ""]
        rows = [
            [
                p["policy"],
                p["workloads"],
                "; ".join(r["who"]),
                ", ".join(r["methods"]),
                ", ".join(r["paths"]) + (f" (not {', '.join(r['not_paths'])})" if r["not_paths"] else ""),
                ", ".join(r["ports"]),
            ]
            for p in t["mesh"]
            for r in p["rules"]
        ]
        out += _table(["policy", "workloads", "who", "methods", "paths", "ports"], rows)
        out += ["Egress outside the cluster:", ""]
        out += _table(["addresses"], [[e] for e in t["egress"]])
        if t.get("artifacts"):
            out += [
                f"Artifact store identity `{t['artifacts']['identity']}`: "
                + ", ".join(f"`{a}`" for a in t["artifacts"]["actions"]),
                "",
            ]
    out += ["## PERMISSIVE mTLS exceptions", ""]
    out += _table(
        ["workload", "port", "reason"], [[p["workload"], str(p["port"]), p["reason"]] for p in report["permissive"]]
    )
    out += ["## Mesh policies open to any caller", ""]
    out += _table(["policy", "reason"], [[p["policy"], p["reason"]] for p in report["open_policies"]])
    out += ["## Privileged and host-access workloads", ""]
    out += _table(
        ["workload", "access", "reason"], [[p["workload"], p["access"], p["reason"]] for p in report["privileged"]]
    )
    out += ["## Images", ""] + [f"- `{i}`" for i in report["images"]] + [""]
    return "\n".join(out)
