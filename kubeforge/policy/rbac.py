"""RBAC as a cluster resolves it, from the render: ClusterRole aggregation, then what each subject
bound in a namespace may do there (group, resource, verb)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from kubeforge.k8s import KObj, labels_of, name_of, namespace_of

Grant = tuple[str, str, str]  # (API group, resource, verb)


@dataclass(frozen=True)
class Binding:
    namespace: str | None  # None: a ClusterRoleBinding
    name: str
    role_kind: str
    role: str
    subjects: tuple[tuple[str, str, str], ...]  # (kind, name, namespace of a ServiceAccount)


def _grants(rules: Iterable[dict[str, object]]) -> set[Grant]:
    out: set[Grant] = set()
    for rule in rules:
        if rule.get("nonResourceURLs"):
            continue
        for g in rule.get("apiGroups") or [""]:  # type: ignore[attr-defined]
            for r in rule.get("resources") or []:  # type: ignore[attr-defined]
                for v in rule.get("verbs") or []:  # type: ignore[attr-defined]
                    out.add((str(g), str(r), str(v)))
    return out


class Rbac:
    def __init__(self, objects: Iterable[KObj]) -> None:
        self.cluster_roles: dict[str, KObj] = {}
        self.roles: dict[tuple[str, str], KObj] = {}
        self.bindings: list[Binding] = []
        for o in objects:
            kind = o.get("kind")
            if kind == "ClusterRole":
                self.cluster_roles[name_of(o)] = o
            elif kind == "Role":
                self.roles[(namespace_of(o) or "default", name_of(o))] = o
            elif kind in ("RoleBinding", "ClusterRoleBinding"):
                ref = o.get("roleRef") or {}
                ns = namespace_of(o) if kind == "RoleBinding" else None
                subjects = tuple(
                    (str(s.get("kind")), str(s.get("name")), str(s.get("namespace") or ns or ""))
                    for s in o.get("subjects") or []
                )
                self.bindings.append(Binding(ns, name_of(o), str(ref.get("kind")), str(ref.get("name")), subjects))

    @cached_property
    def _aggregated(self) -> dict[str, set[Grant]]:
        out: dict[str, set[Grant]] = {}

        def resolve(name: str, seen: frozenset[str]) -> set[Grant]:
            if name in out:
                return out[name]
            role = self.cluster_roles.get(name)
            if role is None or name in seen:
                return set()
            grants = _grants(role.get("rules") or [])
            for sel in (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []:
                want = sel.get("matchLabels") or {}
                for other, o in self.cluster_roles.items():
                    if want and all(labels_of(o).get(k) == v for k, v in want.items()):
                        grants |= resolve(other, seen | {name})
            out[name] = grants
            return grants

        for name in self.cluster_roles:
            resolve(name, frozenset())
        return out

    def role_grants(self, kind: str, name: str, namespace: str | None = None) -> set[Grant]:
        if kind == "ClusterRole":
            return self._aggregated.get(name, set())
        role = self.roles.get((namespace or "default", name))
        return _grants(role.get("rules") or []) if role else set()

    def binding_grants(self, b: Binding) -> set[Grant]:
        return self.role_grants(b.role_kind, b.role, b.namespace)


def can(grants: set[Grant], group: str, resource: str, verb: str) -> bool:
    return any(g in (group, "*") and r in (resource, "*") and v in (verb, "*") for g, r, v in grants)
