"""render_platform: spec + lock -> every object of the platform, transformed, ordered into waves.

This is the one render path: the CLI writes it to build/<profile>/, `kubeforge check` validates it,
and the Pulumi program applies it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubeforge.errors import RenderFailed
from kubeforge.fetch import source_roots
from kubeforge.identity import configure_identity
from kubeforge.k8s import KObj, ident
from kubeforge.kind import kind_ingress_patch
from kubeforge.paths import cache_dir
from kubeforge.release.model import Lock
from kubeforge.release.store import load_lock
from kubeforge.render import extensions
from kubeforge.render.kustomize import Build, plan_builds, run_builds
from kubeforge.render.order import enabled_components, object_sort_key
from kubeforge.render.transforms.cloud_ingress import cloud_load_balancer
from kubeforge.render.transforms.decisions import record_decisions
from kubeforge.render.transforms.hardening import bound_service_accounts, harden
from kubeforge.render.transforms.images import rewrite_images
from kubeforge.render.transforms.ingress import serve_tls
from kubeforge.render.transforms.labels import add_labels
from kubeforge.render.transforms.namespaces import cluster_scoped_kinds, place
from kubeforge.render.transforms.podsecurity import pin_pod_security
from kubeforge.render.transforms.sizing import apply_sizing, plan_for, size_injector_defaults
from kubeforge.render.waves import WavePlan, plan_waves
from kubeforge.render.workspace import materialize
from kubeforge.secrets import generate_secrets
from kubeforge.spec.model import PlatformSpec
from kubeforge.tools import Kustomize, find_kustomize

Progress = Callable[[str, str], None]


@dataclass
class Render:
    spec: PlatformSpec
    lock: Lock
    kustomize: Kustomize
    components: list[str]
    objects: list[KObj]
    component_of: list[str]
    waves: WavePlan
    notes: list[str] = field(default_factory=list)

    def by_component(self) -> dict[str, list[KObj]]:
        out: dict[str, list[KObj]] = {c: [] for c in self.components}
        for obj, comp in zip(self.objects, self.component_of, strict=True):
            out[comp].append(obj)
        return out

    def version_of(self, component: str) -> str:
        comp = self.lock.components.get(component)
        return comp.version if comp else "kubeforge"


def render_platform(
    spec: PlatformSpec,
    *,
    lock: Lock | None = None,
    cache: Path | None = None,
    secrets: Any = None,
    progress: Progress | None = None,
) -> Render:
    lock = lock or load_lock(spec.release)
    cache = cache or cache_dir()
    secrets = secrets if secrets is not None else extensions.default_secret_store(spec.cluster.name)
    roots = source_roots(lock, cache)
    kustomize = find_kustomize()
    components = enabled_components(spec, lock)
    builds = plan_builds(lock, components, kustomize)
    notes: list[str] = []

    with ExitStack() as stack:

        def workspace() -> Path:
            ws = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kubeforge-ws-")))
            files = {f for name in components for f in lock.components[name].files}
            materialize(lock, roots, ws, files)
            return ws

        def on_build(build: Build, cached: bool) -> None:
            if progress:
                progress(build.component, f"{build.path} ({'cached' if cached else 'built'})")

        def weight(build: Build) -> int:
            files = lock.components[build.component].files
            return sum((roots[f.split(":", 1)[0]] / f.split(":", 1)[1]).stat().st_size for f in files)

        built = run_builds(builds, workspace, kustomize, cache, on_build, weight)

    per_component: dict[str, list[KObj]] = {name: [] for name in components}
    for build in builds:
        per_component[build.component].extend(built[build])  # fresh objects: parsed per render
    every = [o for objs in per_component.values() for o in objs]
    scoped = cluster_scoped_kinds(every)
    bound = bound_service_accounts(every)  # a binding in one component may serve another's workload
    for name in components:
        comp = lock.components[name]
        objs = per_component[name]
        objs = place(objs, comp.namespaces[0] if comp.namespaces else "default", scoped)
        plan = plan_for(spec.sizing, spec.components.get(name))
        objs = apply_sizing(objs, plan)
        if name == "istio":
            objs = size_injector_defaults(objs, plan)
        objs = harden(objs, bound)
        objs = pin_pod_security(objs, spec.cluster.kubernetes_minor)
        objs = rewrite_images(objs, spec.images.registry)
        if name == "kubeflow-base":
            objs = serve_tls(objs, spec)
        if name == "istio" and spec.is_kind:
            objs = kind_ingress_patch(objs)  # the laptop reaches the gateway through a kind port mapping
        if name == "istio" and spec.is_cloud:
            objs = cloud_load_balancer(objs, spec.cloud.provider)  # a cloud load balancer where kind maps a port
        per_component[name] = add_labels(objs, name, comp.version)

    per_component = _dedupe(per_component, notes)
    upstream_objects = [o for name in components for o in per_component[name]]
    upstream_objects = configure_identity(spec, upstream_objects, secrets)
    per_component = _regroup(per_component, upstream_objects)

    order = list(components)
    for addition in extensions.ADDITIONS:
        objs = addition.build(spec, upstream_objects)
        if objs:
            # Our own workloads (per-team KFP servers) get the same sizing, hardening and mirror rewrite.
            objs = apply_sizing(objs, plan_for(spec.sizing, None))
            objs = rewrite_images(harden(objs), spec.images.registry)
            per_component[addition.name] = add_labels(objs, addition.name, addition.version)
            order.append(addition.name)
            if progress:
                progress(addition.name, f"{len(objs)} objects (kubeforge)")

    for name in order:
        # After the identity and team layers: their Secrets are generated the same way.
        per_component[name] = generate_secrets(per_component[name], kind=spec.is_kind, store=secrets)
        per_component[name] = record_decisions(per_component[name])

    flat: list[KObj] = []
    comp_of: list[str] = []
    for name in order:
        for obj in per_component[name]:
            flat.append(obj)
            comp_of.append(name)
    try:
        waves = plan_waves(flat)
    except ValueError as exc:
        raise RenderFailed(f"install order: {exc}") from exc
    idx = sorted(range(len(flat)), key=lambda i: (order.index(comp_of[i]), waves.wave_of[i], object_sort_key(flat[i])))
    objects = [flat[i] for i in idx]
    component_of = [comp_of[i] for i in idx]
    remap = {old: new for new, old in enumerate(idx)}
    waves.wave_of = [waves.wave_of[i] for i in idx]
    for wave in waves.waves:
        wave.members = sorted(remap[m] for m in wave.members)
    waves.webhook_backends = {remap[b] for b in waves.webhook_backends}
    waves.admission = [(remap[a], remap[b]) for a, b in waves.admission]
    notes.extend(waves.broken)
    return Render(spec, lock, kustomize, order, objects, component_of, waves, notes)


def _dedupe(per_component: dict[str, list[KObj]], notes: list[str]) -> dict[str, list[KObj]]:
    """The same object from two components: identical copies collapse into the first; differing ones fail."""
    seen: dict[str, tuple[str, KObj]] = {}
    out: dict[str, list[KObj]] = {}
    for name, objs in per_component.items():
        keep = []
        for obj in objs:
            key = ident(obj)
            if key in seen:
                first, other = seen[key]
                if _without_ours(other) != _without_ours(obj):
                    raise RenderFailed(f"{key} is rendered differently by components {first} and {name}")
                notes.append(f"{key} is in {first} and {name}: kept once, in {first}")
                continue
            seen[key] = (name, obj)
            keep.append(obj)
        out[name] = keep
    return out


def _without_ours(obj: KObj) -> KObj:
    meta = dict(obj.get("metadata") or {})
    labels = {
        k: v for k, v in (meta.get("labels") or {}).items() if not k.startswith(("kubeforge.io/", "app.kubernetes.io/"))
    }
    meta["labels"] = labels
    return {**obj, "metadata": meta}


def _regroup(per_component: dict[str, list[KObj]], rewritten: list[KObj]) -> dict[str, list[KObj]]:
    """After a rewrite over all objects, put each back into its component (by our component label)."""
    out: dict[str, list[KObj]] = {name: [] for name in per_component}
    for obj in rewritten:
        comp = ((obj.get("metadata") or {}).get("labels") or {}).get("kubeforge.io/component")
        if comp not in out:
            raise RenderFailed(f"{ident(obj)} lost its kubeforge.io/component label in the identity rewrite")
        out[comp].append(obj)
    return out
