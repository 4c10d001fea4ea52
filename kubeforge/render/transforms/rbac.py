"""Role `rules` the render leaves out: an aggregated ClusterRole's (the controller's) and empty ones."""

from __future__ import annotations

from kubeforge.k8s import KObj, api_group


def drop_aggregated_rules(objects: list[KObj]) -> list[KObj]:
    """Remove `rules` from every ClusterRole that has an `aggregationRule`, and every empty `rules: []`.

    clusterrole-aggregation-controller owns `.rules` of such a role and rewrites it to the union of the
    roles it selects; a server-side apply that also sets `rules` (upstream ships `rules: []`) conflicts
    with that manager on every apply after the first (seen on kube-apiserver v1.34, e2e/README.md).
    An empty list is stored as no `rules`, so pulumi-kubernetes diffed `rules: []` against the live role
    on every `up` (`[diff: +rules]` on two web apps' roles, seen with the real provider).
    """
    out: list[KObj] = []
    for obj in objects:
        if (
            obj.get("kind") in ("ClusterRole", "Role")
            and api_group(obj) == "rbac.authorization.k8s.io"
            and (obj.get("aggregationRule") or obj.get("rules") == [])
        ):
            obj = {k: v for k, v in obj.items() if k != "rules"}
        out.append(obj)
    return out
