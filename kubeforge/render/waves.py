"""Install waves: order objects so that everything an object needs exists (and is ready) before it.

Constraints, each an edge "later than":
- a custom resource after its CRD (gate: CRD Established);
- a namespaced object after its Namespace;
- a webhook configuration after the workloads behind its Service (gate: available, endpoints ready);
- an object a webhook admits (its pods, for workloads) after that webhook configuration;
- a workload mounting a certificate's Secret after that Certificate (gate: issued), a Certificate after its issuer.
Each object's wave is the longest chain below it, never below its kind's base rank.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubeforge.k8s import (
    POD_TEMPLATE_KINDS,
    KObj,
    api_group,
    labels_of,
    metadata_of,
    name_of,
    namespace_of,
    pod_spec,
    pod_template_labels,
)
from kubeforge.names import NAMESPACE_NAME_LABEL
from kubeforge.netpol.labels import LabelSelector

WORKLOAD_KINDS = POD_TEMPLATE_KINDS | {"CronJob", "Pod"}
WEBHOOK_KINDS = frozenset({"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"})
CERT_KINDS = frozenset({"Certificate", "Issuer", "ClusterIssuer"})
BASE_RANK = {"CustomResourceDefinition": 0, "Namespace": 1}
DEFAULT_RANK = 2

# gate per kind, and the extra gate for a workload that backs a webhook
GATES = {
    "CustomResourceDefinition": "crd-established",
    "Deployment": "deployment-available",
    "StatefulSet": "statefulset-ready",
    "DaemonSet": "daemonset-ready",
    "Certificate": "certificate-issued",
    "ClusterIssuer": "issuer-ready",
    "Issuer": "issuer-ready",
    "Job": "job-complete",
}
WEBHOOK_BACKEND_GATE = "webhook-endpoints-ready"


@dataclass
class Wave:
    index: int
    name: str
    gates: list[str]
    members: list[int] = field(default_factory=list)


@dataclass
class WavePlan:
    waves: list[Wave]
    wave_of: list[int]
    webhook_backends: set[int]
    admission: list[tuple[int, int]]  # (object, webhook configuration) edges kept
    broken: list[str]  # admission edges dropped to break a cycle, for plan.json

    def reordered(self, order: list[int]) -> WavePlan:
        """The same plan for the objects listed in `order` (new position n holds old object order[n])."""
        new = {old: n for n, old in enumerate(order)}
        waves = [Wave(w.index, w.name, w.gates, sorted(new[m] for m in w.members)) for w in self.waves]
        return WavePlan(
            waves=waves,
            wave_of=[self.wave_of[old] for old in order],
            webhook_backends={new[b] for b in self.webhook_backends},
            admission=[(new[a], new[b]) for a, b in self.admission],
            broken=self.broken,
        )


def _plural(kind: str) -> str:
    low = kind.lower()
    if low.endswith("y") and not low.endswith(("ay", "ey", "oy")):
        return low[:-1] + "ies"
    if low.endswith(("s", "x", "ch", "sh")):
        return low + "es"
    return low + "s"


class _Index:
    def __init__(self, objects: list[KObj]) -> None:
        self.objects = objects
        self.crd: dict[tuple[str, str], int] = {}
        self.plural: dict[tuple[str, str], str] = {}
        self.namespaces: dict[str, int] = {}
        self.ns_labels: dict[str, dict[str, str]] = defaultdict(dict)
        self.services: dict[tuple[str, str], int] = {}
        self.workloads_by_ns: dict[str, list[int]] = defaultdict(list)
        self.certs_by_secret: dict[tuple[str, str], int] = {}
        self.issuers: dict[tuple[str, str, str], int] = {}
        self.by_resource: dict[str, list[int]] = defaultdict(list)
        for i, obj in enumerate(objects):
            kind = str(obj.get("kind", ""))
            name = name_of(obj)
            ns = namespace_of(obj) or ""
            if kind == "CustomResourceDefinition":
                spec = obj.get("spec") or {}
                names = spec.get("names") or {}
                self.crd[(str(spec.get("group", "")), str(names.get("kind", "")))] = i
                self.plural[(str(spec.get("group", "")), str(names.get("kind", "")))] = str(names.get("plural", ""))
            elif kind == "Namespace":
                self.namespaces[name] = i
                self.ns_labels[name] = {**labels_of(obj), NAMESPACE_NAME_LABEL: name}
            elif kind == "Service":
                self.services[(ns, name)] = i
            elif kind in WORKLOAD_KINDS:
                self.workloads_by_ns[ns].append(i)
            elif kind == "Certificate":
                secret = (obj.get("spec") or {}).get("secretName")
                if secret:
                    self.certs_by_secret[(ns, str(secret))] = i
            if kind in ("Issuer", "ClusterIssuer"):
                self.issuers[(kind, ns if kind == "Issuer" else "", name)] = i
        for i, obj in enumerate(objects):  # after the CRDs are known: their plural names
            self.by_resource[self.resource_of(obj)[1]].append(i)

    def resource_of(self, obj: KObj) -> tuple[str, str]:
        group, kind = api_group(obj), str(obj.get("kind", ""))
        return group, self.plural.get((group, kind)) or _plural(kind)

    def namespace_labels(self, ns: str) -> dict[str, str]:
        return self.ns_labels.get(ns) or {NAMESPACE_NAME_LABEL: ns}


def _backends(index: _Index, hook: KObj) -> set[int]:
    """Workloads behind every service a webhook configuration calls."""
    found: set[int] = set()
    for webhook in hook.get("webhooks") or []:
        svc_ref = (webhook.get("clientConfig") or {}).get("service") or {}
        svc_i = index.services.get((str(svc_ref.get("namespace", "")), str(svc_ref.get("name", ""))))
        if svc_i is None:
            continue
        svc = index.objects[svc_i]
        selector = (svc.get("spec") or {}).get("selector") or {}
        if not selector:
            continue
        ns = namespace_of(svc) or ""
        for w in index.workloads_by_ns.get(ns, []):
            labels = pod_template_labels(index.objects[w])
            if all(labels.get(k) == v for k, v in selector.items()):
                found.add(w)
    return found


def _rule_matches(rule: dict[str, Any], group: str, version: str, resource: str, namespaced: bool) -> bool:
    ops = rule.get("operations") or []
    if "*" not in ops and "CREATE" not in ops:
        return False
    groups, versions, resources = (
        rule.get("apiGroups") or [],
        rule.get("apiVersions") or [],
        rule.get("resources") or [],
    )
    if "*" not in groups and group not in groups:
        return False
    if "*" not in versions and version not in versions:
        return False
    if "*" not in resources and "*/*" not in resources and resource not in resources:
        return False
    scope = str(rule.get("scope", "*"))
    return scope == "*" or (scope == "Namespaced") == namespaced


def _admits(index: _Index, webhook: dict[str, Any], obj: KObj, selectors: tuple[LabelSelector, LabelSelector]) -> bool:
    """Whether one webhook would be called for creating obj (or, for a workload, its pods)."""
    ns = namespace_of(obj)
    candidates: list[tuple[str, str, str, dict[str, str]]] = []
    group, resource = index.resource_of(obj)
    version = str(obj.get("apiVersion", "")).split("/")[-1]
    candidates.append((group, version, resource, labels_of(obj)))
    if obj.get("kind") in WORKLOAD_KINDS and obj.get("kind") != "Pod":
        candidates.append(("", "v1", "pods", pod_template_labels(obj)))
    ns_sel, obj_sel = selectors
    for g, v, r, labels in candidates:
        if not any(_rule_matches(rule, g, v, r, ns is not None) for rule in webhook.get("rules") or []):
            continue
        if ns is not None and not ns_sel.matches(index.namespace_labels(ns)):
            continue
        if obj_sel.matches(labels):
            return True
    return False


def _candidates(index: _Index, webhook: dict[str, Any]) -> list[int]:
    """Objects whose resource (or, for workloads, pods) a webhook's rules name: the rest cannot match."""
    found: set[int] = set()
    for rule in webhook.get("rules") or []:
        resources = {str(r).split("/")[0] for r in rule.get("resources") or []}
        if "*" in resources:
            return list(range(len(index.objects)))
        for resource in resources:
            found.update(index.by_resource.get(resource, ()))
            if resource == "pods":
                found.update(w for ws in index.workloads_by_ns.values() for w in ws)
    return sorted(found)


def plan_waves(objects: list[KObj]) -> WavePlan:
    index = _Index(objects)
    deps: list[list[tuple[int, bool]]] = [[] for _ in objects]  # (dependency, is_admission_edge)
    hooks = [i for i, o in enumerate(objects) if o.get("kind") in WEBHOOK_KINDS]
    backends_of = {h: _backends(index, objects[h]) for h in hooks}
    all_backends = set().union(*backends_of.values()) if backends_of else set()
    for i, obj in enumerate(objects):
        group, kind = api_group(obj), str(obj.get("kind", ""))
        if (group, kind) in index.crd:
            deps[i].append((index.crd[(group, kind)], False))
        ns = namespace_of(obj)
        if ns and ns in index.namespaces and kind != "Namespace":
            deps[i].append((index.namespaces[ns], False))
        if kind in WORKLOAD_KINDS:
            deps[i].extend((c, False) for c in _mounted_certificates(index, obj))
        if kind == "Certificate" or kind in ("Issuer", "ClusterIssuer"):
            ref = (obj.get("spec") or {}).get("issuerRef") or {}
            ikind = str(ref.get("kind", "Issuer"))
            issuer = index.issuers.get((ikind, ns or "" if ikind == "Issuer" else "", str(ref.get("name", ""))))
            if issuer is not None and issuer != i:
                deps[i].append((issuer, False))
    for h in hooks:
        deps[h].extend((b, False) for b in sorted(backends_of[h]))
        for webhook in objects[h].get("webhooks") or []:
            if not webhook.get("rules"):
                continue
            selectors = (
                LabelSelector.parse(webhook.get("namespaceSelector"), "namespaceSelector"),
                LabelSelector.parse(webhook.get("objectSelector"), "objectSelector"),
            )
            for i in _candidates(index, webhook):
                obj = objects[i]
                if i == h or i in backends_of[h] or obj.get("kind") == "CustomResourceDefinition":
                    continue
                if _admits(index, webhook, obj, selectors):
                    deps[i].append((h, True))
    rank, broken = _longest_paths(objects, deps)
    return _waves(objects, rank, deps, all_backends, broken)


def _mounted_certificates(index: _Index, obj: KObj) -> Iterable[int]:
    spec = pod_spec(obj) or {}
    ns = namespace_of(obj) or ""
    for volume in spec.get("volumes") or []:
        secret = ((volume or {}).get("secret") or {}).get("secretName")
        if secret and (ns, str(secret)) in index.certs_by_secret:
            yield index.certs_by_secret[(ns, str(secret))]


def _longest_paths(objects: list[KObj], deps: list[list[tuple[int, bool]]]) -> tuple[list[int], list[str]]:
    rank = [-1] * len(objects)
    state = [0] * len(objects)  # 0 new, 1 on stack, 2 done
    broken: list[str] = []
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def visit(i: int) -> int:
        if state[i] == 2:
            return rank[i]
        state[i] = 1
        best = BASE_RANK.get(str(objects[i].get("kind", "")), DEFAULT_RANK)
        for dep, admission in deps[i]:
            if state[dep] == 1:
                if not admission:
                    raise ValueError(f"dependency cycle through {_name(objects[i])} and {_name(objects[dep])}")
                broken.append(f"{_name(objects[i])} is admitted by {_name(objects[dep])}, which depends on it")
                continue
            best = max(best, visit(dep) + 1)
        state[i] = 2
        rank[i] = best
        return best

    for i in range(len(objects)):
        visit(i)
    return rank, sorted(broken)


def _name(obj: KObj) -> str:
    meta = metadata_of(obj)
    ns = meta.get("namespace")
    return f"{obj.get('kind')}/{ns + '/' if ns else ''}{meta.get('name')}"


def _category(obj: KObj, backend: bool) -> str:
    kind = str(obj.get("kind", ""))
    if kind == "CustomResourceDefinition":
        return "crds"
    if kind == "Namespace":
        return "namespaces"
    if kind in WEBHOOK_KINDS:
        return "webhooks"
    if kind in WORKLOAD_KINDS:
        return "webhook-workloads" if backend else "workloads"
    if kind in CERT_KINDS:
        return "certificates"
    if "." in api_group(obj) and not api_group(obj).endswith(".k8s.io"):
        return "custom-resources"
    return "config"


def _waves(
    objects: list[KObj], rank: list[int], deps: list[list[tuple[int, bool]]], backends: set[int], broken: list[str]
) -> WavePlan:
    levels = sorted(set(rank))
    compact = {lvl: n for n, lvl in enumerate(levels)}
    wave_of = [compact[r] for r in rank]
    waves = [Wave(index=n, name="", gates=[]) for n in range(len(levels))]
    for i, w in enumerate(wave_of):
        waves[w].members.append(i)
    order = [
        "crds",
        "namespaces",
        "config",
        "certificates",
        "webhook-workloads",
        "webhooks",
        "custom-resources",
        "workloads",
    ]
    for wave in waves:
        cats = {_category(objects[i], i in backends) for i in wave.members}
        wave.name = "+".join(c for c in order if c in cats)
        gates = {GATES[str(objects[i].get("kind"))] for i in wave.members if str(objects[i].get("kind")) in GATES}
        if any(i in backends for i in wave.members):
            gates.add(WEBHOOK_BACKEND_GATE)
        wave.gates = sorted(gates)
    admission = [(i, d) for i, ds in enumerate(deps) for d, adm in ds if adm and wave_of[d] < wave_of[i]]
    return WavePlan(waves=waves, wave_of=wave_of, webhook_backends=backends, admission=admission, broken=broken)
