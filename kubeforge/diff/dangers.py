"""What an upgrade cannot simply apply, each with its reason: one function per kind of danger."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from kubeforge.diff.model import Danger, Severity
from kubeforge.k8s import KObj, name_of, namespace_of

# Upstream supports upgrading these one minor version at a time (their upgrade guides say so).
STEP_LIMITED: dict[str, str] = {
    "istio": "Istio supports in-place upgrades across one minor version at a time (istio.io, Upgrade)",
    "knative": "Knative supports upgrading by a single minor version at a time (knative.dev, Upgrading Knative)",
}
WORKLOADS = frozenset({"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"})


def label(obj: KObj) -> str:
    ns = namespace_of(obj)
    return f"{obj.get('kind')}/{ns + '/' if ns else ''}{name_of(obj)}"


def _versions(crd: KObj) -> tuple[str | None, set[str]]:
    storage, served = None, set()
    for v in (crd.get("spec") or {}).get("versions") or []:
        if v.get("served"):
            served.add(str(v.get("name")))
        if v.get("storage"):
            storage = str(v.get("name"))
    return storage, served


def crd_dangers(component: str, old: KObj, new: KObj) -> Iterator[Danger]:
    (old_storage, old_served), (new_storage, new_served) = _versions(old), _versions(new)
    what = label(old)
    if old_storage and old_storage not in new_served:
        yield Danger(
            "blocking",
            "crd-version-unserved",
            component,
            what,
            f"objects are stored as {old_storage} today and the target serves only {', '.join(sorted(new_served))}: "
            f"the API server could not read them; upgrade through a release serving both and migrate storage first",
        )
    elif old_storage != new_storage:
        yield Danger(
            "migration",
            "storage-migration",
            component,
            what,
            f"storage version {old_storage} -> {new_storage}: objects stay stored as {old_storage} until rewritten; "
            "the upgrade rewrites every object of this CRD (storage-version migration) so a later release may drop it",
        )
    dropped = sorted(old_served - new_served - {old_storage or ""})
    if dropped:
        yield Danger(
            "migration",
            "served-version-removed",
            component,
            what,
            f"no longer served: {', '.join(dropped)}; clients and manifests written for it must move to {new_storage}",
        )


def _spec(obj: KObj) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _size(obj: KObj) -> str | None:
    size = ((_spec(obj).get("resources") or {}).get("requests") or {}).get("storage")
    return str(size) if size is not None else None


def _pvc_spec_without_size(obj: KObj) -> dict[str, Any]:
    spec = dict(_spec(obj))
    spec.pop("resources", None)  # a larger request is an in-place expansion, not a replace
    return spec


def immutable_dangers(component: str, old: KObj, new: KObj) -> Iterator[Danger]:
    """Fields Kubernetes refuses to change in place: Pulumi deletes and re-creates the object."""
    kind, what = old.get("kind"), label(old)
    a, b = _spec(old), _spec(new)

    def replace(field: str, why: str, severity: Severity = "replace") -> Danger:
        return Danger(severity, "immutable-field", component, what, f"{field} is immutable: {why}")

    if kind in WORKLOADS and a.get("selector") != b.get("selector"):
        yield replace("spec.selector", "the workload is deleted and re-created (its pods restart)")
    if kind == "StatefulSet":
        for field in ("volumeClaimTemplates", "serviceName", "podManagementPolicy"):
            if a.get(field) != b.get(field):
                yield replace(
                    f"spec.{field}",
                    "the StatefulSet is re-created; its existing claims are kept and keep their old spec",
                )
    if kind == "Service":
        if a.get("clusterIP") != b.get("clusterIP"):
            yield replace("spec.clusterIP", "the Service is re-created with a new address")
        if (a.get("type") or "ClusterIP") != (b.get("type") or "ClusterIP"):
            yield replace(
                "spec.type", f"{a.get('type') or 'ClusterIP'} -> {b.get('type') or 'ClusterIP'} re-creates it"
            )
    if kind == "Job" and (a.get("template") != b.get("template") or a.get("selector") != b.get("selector")):
        yield replace("spec.template", "the Job is deleted and run again")
    if kind == "PersistentVolumeClaim" and _pvc_spec_without_size(old) != _pvc_spec_without_size(new):
        yield replace("spec", "a re-created claim is a new, empty volume: its data would be lost", "blocking")
    if kind == "PersistentVolumeClaim":
        size_a, size_b = _size(old), _size(new)
        if size_a != size_b and _quantity(str(size_b)) < _quantity(str(size_a)):
            yield replace(
                "spec.resources.requests.storage", f"a claim cannot shrink ({size_a} -> {size_b})", "blocking"
            )
    if kind in ("RoleBinding", "ClusterRoleBinding") and old.get("roleRef") != new.get("roleRef"):
        yield replace("roleRef", "the binding is re-created: its subjects lose the role for a moment")


_UNITS = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def _quantity(text: str) -> float:
    m = re.fullmatch(r"([0-9.]+)([KMGT]i?)?", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2) or ""] if m else 0.0


STATEFUL = {
    "PersistentVolumeClaim": "the claim's volume holds data",
    "CustomResourceDefinition": "deleting a CRD deletes every custom resource of it",
    "PersistentVolume": "the volume holds data",
}


def deletion_danger(component: str, obj: KObj, team_namespaces: set[str]) -> Danger | None:
    """A stateful object the target no longer renders: never deleted by the upgrade (retained), reported."""
    kind = str(obj.get("kind"))
    why = STATEFUL.get(kind)
    if kind == "Namespace" and name_of(obj) in team_namespaces:
        why = "a team namespace holds the team's notebooks, volumes and runs"
    if why is None:
        return None
    return Danger(
        "retained",
        "stateful-deletion",
        component,
        label(obj),
        f"no longer rendered but never deleted by an upgrade: {why}; delete it by hand once its data has moved",
    )


def _minor(version: str) -> tuple[int, int] | None:
    m = re.match(r"v?(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else None


def step_danger(component: str, old: str, new: str, through: list[tuple[str, str]]) -> Danger | None:
    """A one-minor-at-a-time component: stepped through `through` (release, version) or refused."""
    reason = STEP_LIMITED.get(component)
    a, b = _minor(old), _minor(new)
    if reason is None or a is None or b is None or a[0] != b[0] or abs(b[1] - a[1]) <= 1:
        return None
    if b[1] < a[1]:
        return Danger("blocking", "step-limited", component, component, f"{old} -> {new} is a downgrade; {reason}")
    minors = [a[1], *(m[1] for _, v in through if (m := _minor(v))), b[1]]
    if all(y - x == 1 for x, y in pairwise(minors)):
        steps = " -> ".join(f"{v} ({r})" for r, v in through)
        return Danger("stepped", "step-limited", component, component, f"{reason}: {old} -> {steps} -> {new}")
    missing = ", ".join(f"{a[0]}.{m}" for m in range(a[1] + 1, b[1]))
    return Danger(
        "blocking",
        "step-limited",
        component,
        component,
        f"{old} -> {new} skips {b[1] - a[1] - 1} minor versions; {reason}, and no pinned intermediate release "
        f"provides {missing}: declare them in the target's upgrade.yaml (`through`) or switch {component} off",
    )
