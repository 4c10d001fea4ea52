"""Aggregated ClusterRoles: their `rules` belong to the aggregation controller, so the render leaves them out."""

from __future__ import annotations

from kubeforge.k8s import KObj, api_group


def drop_aggregated_rules(objects: list[KObj]) -> list[KObj]:
    """Remove `rules` from every ClusterRole that has an `aggregationRule`.

    clusterrole-aggregation-controller owns `.rules` of such a role and rewrites it to the union of the
    roles it selects; a server-side apply that also sets `rules` (upstream ships `rules: []`) conflicts
    with that manager on every apply after the first (seen on kube-apiserver v1.34, e2e/README.md).
    """
    out: list[KObj] = []
    for obj in objects:
        if (
            obj.get("kind") == "ClusterRole"
            and api_group(obj) == "rbac.authorization.k8s.io"
            and obj.get("aggregationRule")
        ):
            obj = {k: v for k, v in obj.items() if k != "rules"}
        out.append(obj)
    return out
