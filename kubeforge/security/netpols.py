"""Allows -> NetworkPolicies: default deny in each platform namespace, then one ingress policy on the
destination side and one egress policy on the source side of each Allow that touches it."""

from __future__ import annotations

from kubeforge.k8s import KObj, meta, obj
from kubeforge.names import NAMESPACE_NAME_LABEL, PLATFORM_NAMESPACES, SECURITY_COMPONENT, TEAM_LABEL
from kubeforge.security.declared import ANYWHERE, EVERY_TEAM, Allow, Side


def _selector(pods: dict[str, str] | None) -> dict[str, object]:
    return {"matchLabels": dict(pods)} if pods else {}


def peer(side: Side, policy_ns: str) -> list[dict[str, object]] | None:
    """The from/to list for `side` as seen from a policy in `policy_ns`; None means any peer."""
    if side.cidrs:
        return [{"ipBlock": {"cidr": c}} for c in side.cidrs]
    if side.namespace == ANYWHERE:
        return None
    if side.namespace == EVERY_TEAM:
        labels = side.namespace_labels
        ns_sel: dict[str, object] = (
            {"matchLabels": dict(labels)}
            if labels
            else {"matchExpressions": [{"key": TEAM_LABEL, "operator": "Exists"}]}
        )
        return [{"namespaceSelector": ns_sel, "podSelector": _selector(side.pods)}]
    if side.namespace == policy_ns:
        return [{"podSelector": _selector(side.pods)}]
    return [
        {
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: side.namespace}},
            "podSelector": _selector(side.pods),
        }
    ]


def _policy(name: str, ns: str, pods: dict[str, str] | None, direction: str, rule: dict[str, object]) -> KObj:
    spec = {"podSelector": _selector(pods), "policyTypes": [direction], direction.lower(): [rule]}
    md = meta(name, ns, SECURITY_COMPONENT)
    return obj("networking.k8s.io/v1", "NetworkPolicy", md, spec=spec)


def _rule(key: str, peers: list[dict[str, object]] | None, allow: Allow) -> dict[str, object]:
    rule: dict[str, object] = {}
    if peers is not None:
        rule[key] = peers
    if allow.ports:
        rule["ports"] = [{"protocol": proto, "port": port} for proto, port in allow.ports]
    return rule


def default_deny(namespace: str) -> KObj:
    spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    return obj("networking.k8s.io/v1", "NetworkPolicy", meta("default-deny", namespace, SECURITY_COMPONENT), spec=spec)


def allow_policies(allows: list[Allow], namespaces: list[str]) -> list[KObj]:
    present = set(namespaces)
    out = []
    for a in allows:
        if a.dst.namespace in present and a.dst.namespace in PLATFORM_NAMESPACES:
            out.append(
                _policy(
                    f"allow-{a.name}-in"[:253],
                    a.dst.namespace,
                    a.dst.pods,
                    "Ingress",
                    _rule("from", peer(a.src, a.dst.namespace), a),
                )
            )
        if a.src.namespace in present and a.src.namespace in PLATFORM_NAMESPACES:
            out.append(
                _policy(
                    f"allow-{a.name}-out"[:253],
                    a.src.namespace,
                    a.src.pods,
                    "Egress",
                    _rule("to", peer(a.dst, a.src.namespace), a),
                )
            )
    return out
