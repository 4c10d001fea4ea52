"""From a Render to the stack's plan: which ConfigGroups and typed Secrets, their owners, order and options.

No Pulumi import: the plan is data, so its rules are tested without the Pulumi runtime.

Grouping: one node per (owner, component, wave, retained) with objects; a rendered Secret that carries
generated values is its own node (a typed Secret fed by pulumi-random), removed from its group, and so
is a ConfigMap or Secret with stack-filled values (a managed database's host: stacks/data/).
Names (stable identities, see stacks/urns.py): no name depends on a wave number or on object order. Each
object's resource is named `<prefix>-<namespace>/<name>` with the group's `resource_prefix` fixed to its
component (or `teams-<team>`), so an object keeps its URN when a release moves it to another wave or
group; a group is named by its component and its step among that component's own waves (`pipelines-2`),
which no other component's waves shift.
Order: a node of wave N depends on every node of its scope's highest lower wave. Waves are global, so
by induction every node of wave N reaches every node of every lower wave; depending on one wave back
is the smallest edge set with that property, and a webhook or CRD needed from several waves back is
still applied first. Scopes: the platform is one scope; each team is its own scope whose first wave
depends on the platform's last wave (teams need the whole platform: the profile controller, the
injector webhooks, the quota and network-policy machinery), and teams never wait for each other.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypedDict

from kubeforge.k8s import KObj, api_group, labels_of, metadata_of, name_of, namespace_of
from kubeforge.names import TEAM_LABEL, TEAMS_COMPONENT
from kubeforge.render.pipeline import Render
from stacks.generated import GeneratedKey, generated_secrets, stack_valued

CLUSTER_BASE = ("cert-manager", "istio", "dex", "oauth2-proxy")
FIELD_MANAGER = "kubeforge"


# Every kubernetes provider of the stack: server-side apply (field manager above), and Secrets and ConfigMaps
# updated in place. Immutable (the provider's default), a changed Secret is deleted then created under its
# fixed name: adding a team replaced the SeaweedFS identities Secret (seen with the real provider).
class ProviderSettings(TypedDict):
    enable_server_side_apply: bool
    enable_secret_mutable: bool
    enable_config_map_mutable: bool


PROVIDER_SETTINGS: ProviderSettings = {
    "enable_server_side_apply": True,
    "enable_secret_mutable": True,
    "enable_config_map_mutable": True,
}
PULUMI_ANNOTATIONS = ("pulumi.com/patchFieldManager", "pulumi.com/waitFor")
# The provider awaits Deployments, StatefulSets, DaemonSets, Jobs, CRDs and Services itself; it has no
# built-in readiness for cert-manager kinds, so their gates (issued, ready) become a Ready-condition wait.
# By group as well as kind: Knative's own networking.internal.knative.dev Certificate is issued by a
# controller that is not in the render, so a Ready wait on it would time out Knative's wave.
WAIT_FOR_READY = frozenset({"Certificate", "Issuer", "ClusterIssuer"})
WAIT_FOR_READY_GROUP = "cert-manager.io"
# Deleting these deletes user data (a CRD takes every custom resource with it, a Profile its namespace).
STATEFUL_KINDS = frozenset({"CustomResourceDefinition", "PersistentVolumeClaim", "PersistentVolume"})


@dataclass(frozen=True)
class Owner:
    """A ComponentResource: ClusterBase, one per other component, or one per team."""

    key: str
    kind: str  # "ClusterBase" | "Component" | "Team"
    name: str


@dataclass
class Node:
    name: str
    owner: Owner
    component: str
    wave: int
    prefix: str  # the children's resource_prefix: component or teams-<team>, never the wave
    scope: str  # "platform" or "team:<name>"
    retained: bool
    skip_await: bool
    objects: list[KObj]  # applied form; one object for a generated Secret
    sources: list[int]  # indexes into the render's objects
    generated: dict[str, GeneratedKey] = field(default_factory=dict)  # non-empty: a typed Secret
    depends_on: list[str] = field(default_factory=list)
    stack_values: dict[str, str] = field(default_factory=dict)  # key -> value id the stack fills (typed object)

    @property
    def is_secret(self) -> bool:
        """A typed object of its own (a Secret fed by pulumi-random, or a ConfigMap/Secret the stack fills)."""
        return bool(self.generated or self.stack_values)


@dataclass
class Plan:
    nodes: list[Node]
    owners: list[Owner]
    team_namespaces: dict[str, list[str]]
    versions: dict[str, str]


def applied(obj: KObj) -> KObj:
    """The object as the stack applies it: kubeforge's field manager, and a Ready wait where a gate needs one."""
    out = copy.copy(obj)
    meta = dict(metadata_of(obj))
    annotations = dict(meta.get("annotations") or {})
    annotations["pulumi.com/patchFieldManager"] = FIELD_MANAGER
    if obj.get("kind") in WAIT_FOR_READY and api_group(obj) == WAIT_FOR_READY_GROUP:
        annotations["pulumi.com/waitFor"] = "condition=Ready"
    meta["annotations"] = annotations
    out["metadata"] = meta
    return out


def without_pulumi_annotations(obj: KObj) -> KObj:
    """Inverse of applied() for comparisons: the rendered object."""
    out = copy.copy(obj)
    meta = dict(metadata_of(obj))
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in PULUMI_ANNOTATIONS}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def team_of(obj: KObj, teams: set[str]) -> str | None:
    """The team an object of the teams component belongs to: its label, else its namespace or name."""
    label = labels_of(obj).get(TEAM_LABEL)
    if label in teams:
        return label
    ns = namespace_of(obj)
    if ns in teams:
        return ns
    if ns is None and obj.get("kind") in ("Namespace", "Profile") and name_of(obj) in teams:
        return name_of(obj)
    return None


def _retained(obj: KObj, keep_namespaces: set[str]) -> bool:
    kind = obj.get("kind")
    if kind in STATEFUL_KINDS:
        return True
    if kind == "Namespace":
        return name_of(obj) in keep_namespaces  # deleting a namespace deletes its PVCs
    if kind == "Profile":
        return True  # the profile controller owns the team namespace: deleting the Profile deletes it
    if kind == "StatefulSet":
        policy = (obj.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
        return policy.get("whenDeleted") == "Delete"  # its claims would go with it
    return False


def plan_stack(render: Render, objects: list[KObj] | None = None) -> Plan:
    """objects: the render's objects as applied (the kind ingress patch), same order and length."""
    objects = render.objects if objects is None else objects
    assert len(objects) == len(render.objects), "objects must be the render's, one for one"
    teams = {t.name for t in render.spec.teams}
    gates = {w.index: w.gates for w in render.waves.waves}
    secrets = generated_secrets(objects)
    filled = stack_valued(objects)

    owners: dict[str, Owner] = {}
    team_of_obj: list[str | None] = []
    for obj, comp in zip(objects, render.component_of, strict=True):
        team_of_obj.append(team_of(obj, teams) if comp == TEAMS_COMPONENT else None)
    team_ns = {ns for i, t in enumerate(team_of_obj) if t for ns in _namespaces(objects[i])}
    keep_ns = team_ns | {
        ns for obj in objects if obj.get("kind") in STATEFUL_KINDS | {"StatefulSet"} if (ns := namespace_of(obj))
    }

    def owner_for(comp: str, team: str | None) -> Owner:
        if comp in CLUSTER_BASE:
            key, kind, name = "cluster-base", "ClusterBase", "cluster-base"
        elif team is not None:
            key, kind, name = f"team:{team}", "Team", team
        else:
            key, kind, name = f"component:{comp}", "Component", comp
        return owners.setdefault(key, Owner(key, kind, name))

    buckets: dict[tuple[str, str, int, bool, str | None], list[int]] = defaultdict(list)
    nodes: list[Node] = []
    for i, (obj, comp) in enumerate(zip(objects, render.component_of, strict=True)):
        wave, team = render.waves.wave_of[i], team_of_obj[i]
        owner = owner_for(comp, team)
        if i in secrets or i in filled:
            nodes.append(
                Node(
                    name=f"{str(obj.get('kind')).lower()}-{namespace_of(obj)}-{name_of(obj)}",
                    owner=owner,
                    component=comp,
                    wave=wave,
                    prefix=comp,
                    scope=f"team:{team}" if team else "platform",
                    retained=False,
                    skip_await=True,  # a Secret has nothing to await
                    objects=[applied(obj)],
                    sources=[i],
                    generated=secrets.get(i, {}),
                    stack_values=filled.get(i, {}),
                )
            )
            continue
        buckets[(owner.key, comp, wave, _retained(obj, keep_ns), team)].append(i)

    steps: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
    for owner_key, comp, wave, _, team in buckets:
        steps[(owner_key, comp, team)].append(wave)
    for (owner_key, comp, wave, retained, team), idx in buckets.items():
        prefix = f"{TEAMS_COMPONENT}-{team}" if team else comp
        step = sorted(set(steps[(owner_key, comp, team)])).index(wave) + 1
        nodes.append(
            Node(
                name=f"{prefix}-{step}" + ("-retained" if retained else ""),
                owner=owners[owner_key],
                component=comp,
                wave=wave,
                prefix=prefix,
                scope=f"team:{team}" if team else "platform",
                retained=retained,
                # No gate in this wave: nothing later waits on these objects being ready, only on their existence.
                skip_await=not gates.get(wave),
                objects=[applied(objects[i]) for i in idx],
                sources=idx,
            )
        )
    nodes.sort(key=lambda n: (n.scope != "platform", n.scope, n.wave, not n.is_secret, n.name))  # dependencies first
    _order(nodes)
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"two stack nodes share a name: {', '.join(dupes)}")
    team_namespaces = {
        t: sorted({ns for i, tt in enumerate(team_of_obj) if tt == t for ns in _namespaces(objects[i])})
        for t in sorted(teams)
    }
    versions = {c: render.version_of(c) for c in render.components}
    return Plan(nodes, sorted(owners.values(), key=lambda o: o.key), team_namespaces, versions)


def _namespaces(obj: KObj) -> list[str]:
    if obj.get("kind") == "Namespace":
        return [name_of(obj)]
    ns = namespace_of(obj)
    return [ns] if ns else []


def _order(nodes: list[Node]) -> None:
    by_scope: dict[str, dict[int, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for node in nodes:
        by_scope[node.scope][node.wave].append(node)
    platform = by_scope.get("platform", {})
    platform_last = [n.name for n in platform[max(platform)]] if platform else []
    for scope, waves in by_scope.items():
        ordered = sorted(waves)
        for pos, wave in enumerate(ordered):
            if pos > 0:
                below = [n.name for n in waves[ordered[pos - 1]]]
            else:
                below = [] if scope == "platform" else platform_last
            secrets_here: dict[str, list[str]] = defaultdict(list)
            for node in waves[wave]:
                if node.is_secret:
                    secrets_here[node.component].append(node.name)
            for node in waves[wave]:
                # A group also waits for its component's generated Secrets of the same wave: its pods read them.
                same_wave = [] if node.is_secret else secrets_here.get(node.component, [])
                node.depends_on = below + same_wave
