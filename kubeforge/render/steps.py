"""The kinds of render step and what they share; `pipeline.STEPS` lists them in order.

A `Step` works on every record at once (builds, dedupe, waves). A `ComponentStep` transforms one
component's objects at a time; its declaration says which components: `component="istio"` for a
step that concerns one component, `of` for upstream's components, kubeforge's own, or every one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kubeforge.errors import RenderFailed
from kubeforge.fetch import source_roots
from kubeforge.identity import configure_identity
from kubeforge.isolation import isolate
from kubeforge.k8s import CLUSTER_SCOPED_KINDS, KObj, labels_of, metadata_of
from kubeforge.managed import use_managed_data
from kubeforge.monitoring import component_monitors
from kubeforge.names import KUBEFORGE_COMPONENT_LABEL
from kubeforge.release.model import Lock
from kubeforge.render.extensions import ADDITIONS
from kubeforge.render.kustomize import Build, plan_builds, run_builds
from kubeforge.render.leftovers import WORKSPACE_PREFIX, make_temporary, remove_stale
from kubeforge.render.order import enabled_components, object_sort_key
from kubeforge.render.records import Record
from kubeforge.render.transforms.hardening import bound_service_accounts
from kubeforge.render.transforms.namespaces import cluster_scoped_kinds
from kubeforge.render.transforms.sizing import Plan, plan_for
from kubeforge.render.waves import WavePlan, plan_waves
from kubeforge.render.workspace import materialize
from kubeforge.secrets import SecretStore
from kubeforge.spec.model import PlatformSpec
from kubeforge.tenancy import kfp_store
from kubeforge.tools import Kustomize

Progress = Callable[[str, str], None]
Origin = Literal["upstream", "kubeforge", "every"]


@dataclass(frozen=True)
class Component:
    """One component as the steps see it: where its objects go and how they are sized and labelled."""

    name: str
    version: str
    namespace: str
    sizing: Plan
    origin: Literal["upstream", "kubeforge"]


@dataclass
class State:
    """What the steps share: inputs, the records so far, and facts a step found for later ones."""

    spec: PlatformSpec
    lock: Lock
    kustomize: Kustomize
    cache: Path
    secrets: SecretStore
    progress: Progress | None
    components: dict[str, Component] = field(default_factory=dict)  # install order
    records: list[Record] = field(default_factory=list)  # grouped by component, in install order
    notes: list[str] = field(default_factory=list)
    cluster_scoped: frozenset[str] = CLUSTER_SCOPED_KINDS
    bound_accounts: set[tuple[str, str]] = field(default_factory=set)
    waves: WavePlan | None = None

    def report(self, component: str, message: str) -> None:
        if self.progress:
            self.progress(component, message)


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[State], None]


@dataclass(frozen=True)
class ComponentStep:
    name: str
    apply: Callable[[list[KObj], Component, State], list[KObj]]
    of: Origin = "upstream"
    component: str | None = None  # only this component
    when: Callable[[PlatformSpec], bool] = lambda _spec: True

    def concerns(self, comp: Component) -> bool:
        return (self.of in ("every", comp.origin)) and self.component in (None, comp.name)

    def run(self, state: State) -> None:
        if not self.when(state.spec):
            return
        groups: dict[str, list[KObj]] = {name: [] for name in state.components}
        for r in state.records:
            groups[r.component].append(r.obj)
        records: list[Record] = []
        for name, objs in groups.items():
            comp = state.components[name]
            if self.concerns(comp):
                objs = self.apply(objs, comp, state)
            records += [Record(obj, name) for obj in objs]
        state.records = records


def build_upstream(state: State) -> None:
    """Each enabled component's kustomize paths, built in parallel from the verified cache (cached by digest)."""
    spec, lock = state.spec, state.lock
    roots = source_roots(lock, state.cache)
    names = enabled_components(spec, lock)
    for name in names:
        comp = lock.components[name]
        namespace = comp.namespaces[0] if comp.namespaces else "default"
        sizing = plan_for(spec.sizing, spec.components.get(name))
        state.components[name] = Component(name, comp.version, namespace, sizing, "upstream")
    builds = plan_builds(lock, names, state.kustomize)
    remove_stale(Path(tempfile.gettempdir()), WORKSPACE_PREFIX)  # left by a render that was killed
    with ExitStack() as stack:

        def workspace() -> Path:
            ws = make_temporary(WORKSPACE_PREFIX, None, stack)
            materialize(lock, roots, ws, {f for name in names for f in lock.components[name].files})
            return ws

        def on_build(build: Build, cached: bool) -> None:
            state.report(build.component, f"{build.path} ({'cached' if cached else 'built'})")

        def weight(build: Build) -> int:
            files = lock.components[build.component].files
            return sum((roots[f.split(":", 1)[0]] / f.split(":", 1)[1]).stat().st_size for f in files)

        built = run_builds(builds, workspace, state.kustomize, state.cache, on_build, weight)
    state.records = [Record(obj, b.component) for b in builds for obj in built[b]]  # builds: in install order


def survey(state: State) -> None:
    """Facts across components: CRD-defined cluster-scoped kinds, and accounts some binding serves."""
    objects = [r.obj for r in state.records]
    state.cluster_scoped = cluster_scoped_kinds(objects)
    state.bound_accounts = bound_service_accounts(objects)  # a binding in one component may serve another's


def dedupe(state: State) -> None:
    """The same object from two components: identical copies collapse into the first; differing ones fail."""
    seen: dict[str, Record] = {}
    kept: list[Record] = []
    for r in state.records:
        first = seen.get(r.ident)
        if first is None:
            seen[r.ident] = r
            kept.append(r)
            continue
        if _without_ours(first.obj) != _without_ours(r.obj):
            raise RenderFailed(f"{r.ident} is rendered differently by components {first.component} and {r.component}")
        state.notes.append(f"{r.ident} is in {first.component} and {r.component}: kept once, in {first.component}")
    state.records = kept


def _without_ours(obj: KObj) -> KObj:
    labels = {k: v for k, v in labels_of(obj).items() if not k.startswith(("kubeforge.io/", "app.kubernetes.io/"))}
    return {**obj, "metadata": {**metadata_of(obj), "labels": labels}}


def identity(state: State) -> None:
    """Dex's config, passwords and connectors, oauth2-proxy's settings: rewritten one object for one."""
    rewritten = configure_identity(state.spec, [r.obj for r in state.records], state.secrets)
    for r, obj in zip(state.records, rewritten, strict=True):
        r.obj = obj


def managed_data(state: State) -> None:
    """A managed database or object store replaces the in-cluster MySQL / SeaweedFS objects (kubeforge.managed).
    It may add objects (bootstrap Jobs, their admin Secrets): each joins the component on its label."""
    if not (state.spec.data.database.managed or state.spec.data.artifacts.managed):
        return
    objs = use_managed_data(state.spec, [r.obj for r in state.records])
    state.records = [Record(obj, labels_of(obj)[KUBEFORGE_COMPONENT_LABEL]) for obj in objs]


def isolation(state: State) -> None:
    """Tenant roles without network writes, stores scoped by caller, database users of their own.
    It may add objects (SeaweedFS's team identities, MySQL's root Secret): each joins the component on its label."""
    objects = [r.obj for r in state.records]
    store = kfp_store(state.spec, state.lock, objects)
    if store is not None and not store.team_identities and state.spec.teams:
        state.notes.append(
            f"KFP's object store is {store.label} ({store.endpoint}), which kubeforge gives no per-team identity: "
            "teams share the platform's S3 key, so a team can read and write other teams' artifacts"
        )
    isolated = isolate(state.spec, state.lock, objects)
    state.records = [Record(obj, labels_of(obj)[KUBEFORGE_COMPONENT_LABEL]) for obj in isolated]


def add_kubeforge_components(state: State) -> None:
    """kubeforge's own components (security, teams, gpu), built from the upstream objects, after them."""
    upstream = [r.obj for r in state.records]
    for addition in ADDITIONS:
        objs = addition.build(state.spec, state.lock, upstream)
        if objs:
            sizing = plan_for(state.spec.sizing, None)
            state.components[addition.name] = Component(addition.name, addition.version, "", sizing, "kubeforge")
            state.records += [Record(obj, addition.name) for obj in objs]
            state.report(addition.name, f"{len(objs)} objects (kubeforge)")


MONITORS = "monitors"


def monitor_components(state: State) -> None:
    """With monitoring on: a PodMonitor per component that serves metrics (kubeforge's component "monitors",
    after every namespace it lands in); meshed workloads annotated for Istio's metrics merging."""
    if "monitoring" not in state.components:
        return
    objs = component_monitors(state.spec, [r.obj for r in state.records])
    if objs:
        sizing = plan_for(state.spec.sizing, None)
        state.components[MONITORS] = Component(MONITORS, "kubeforge", "", sizing, "kubeforge")
        state.records += [Record(obj, MONITORS) for obj in objs]


def plan_install_waves(state: State) -> None:
    try:
        plan = plan_waves([r.obj for r in state.records])
    except ValueError as exc:
        raise RenderFailed(f"install order: {exc}") from exc
    for r, wave in zip(state.records, plan.wave_of, strict=True):
        r.wave = wave
    state.waves = plan


def order(state: State) -> None:
    """Components in install order, then waves, then kubectl's kind order; the wave plan follows."""
    assert state.waves is not None, "order runs after the wave step"
    rank = {name: n for n, name in enumerate(state.components)}
    records = state.records
    by = sorted(
        range(len(records)),
        key=lambda i: (rank[records[i].component], records[i].wave, object_sort_key(records[i].obj)),
    )
    state.records = [records[i] for i in by]
    state.waves = state.waves.reordered(by)
    state.notes.extend(state.waves.broken)
