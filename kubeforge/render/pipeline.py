"""render_platform: spec + lock -> every object of the platform, transformed, ordered into waves.

This is the one render path: the CLI writes it to build/<profile>/, `kubeforge check` validates it,
and the Pulumi program applies it. STEPS is the whole render, in order (kinds of step: `steps`).
"""

from __future__ import annotations

from pathlib import Path

from kubeforge.gpu import dcgm_exporter, device_plugin
from kubeforge.isolation.registry import without_shared_registry
from kubeforge.kind import kind_ingress_patch
from kubeforge.monitoring import configure_monitoring
from kubeforge.names import TEAMS_COMPONENT
from kubeforge.paths import cache_dir
from kubeforge.release.model import Lock
from kubeforge.release.store import load_lock
from kubeforge.render import extensions
from kubeforge.render.order import for_release
from kubeforge.render.records import Record, Render
from kubeforge.render.steps import (
    ComponentStep,
    Progress,
    State,
    Step,
    add_kubeforge_components,
    build_upstream,
    dedupe,
    identity,
    isolation,
    managed_data,
    monitor_components,
    order,
    plan_install_waves,
    survey,
)
from kubeforge.render.transforms.cloud_ingress import cloud_load_balancer
from kubeforge.render.transforms.decisions import record_decisions
from kubeforge.render.transforms.hardening import harden
from kubeforge.render.transforms.images import pin_config_images, rewrite_images
from kubeforge.render.transforms.ingress import serve_tls
from kubeforge.render.transforms.injected import leave_ca_bundles_to_injector
from kubeforge.render.transforms.labels import add_labels
from kubeforge.render.transforms.namespaces import place
from kubeforge.render.transforms.podsecurity import pin_pod_security
from kubeforge.render.transforms.rbac import drop_aggregated_rules
from kubeforge.render.transforms.sizing import apply_sizing, size_injector_defaults
from kubeforge.secrets import SecretStore, generate_secrets
from kubeforge.spec.model import PlatformSpec
from kubeforge.tenancy.quota import with_platform_share
from kubeforge.tools import find_kustomize

__all__ = ["STEPS", "Record", "Render", "render_platform"]

STEPS: tuple[Step | ComponentStep, ...] = (
    Step("build upstream components with kustomize", build_upstream),
    Step("survey cluster-scoped kinds and bound service accounts", survey),
    ComponentStep("place in the component's namespace", lambda o, c, s: place(o, c.namespace, s.cluster_scoped)),
    ComponentStep(
        "configure monitoring (sizing, Grafana sign-on, receivers)",
        lambda o, c, s: configure_monitoring(o, s.spec),
        component="monitoring",
    ),
    ComponentStep(
        "GPU nodes, runtime and sharing for the device plugin",
        lambda o, c, s: device_plugin(o, s.spec),
        component="nvidia-device-plugin",
    ),
    ComponentStep("GPU nodes for dcgm-exporter", lambda o, c, s: dcgm_exporter(o, s.spec), component="dcgm-exporter"),
    ComponentStep("size requests, limits and replicas", lambda o, c, s: apply_sizing(o, c.sizing)),
    ComponentStep(
        "size the sidecar injector's defaults", lambda o, c, s: size_injector_defaults(o, c.sizing), component="istio"
    ),
    ComponentStep("harden pods", lambda o, c, s: harden(o, s.bound_accounts)),
    ComponentStep("pin Pod Security labels", lambda o, c, s: pin_pod_security(o, s.spec.cluster.kubernetes_minor)),
    ComponentStep("rewrite images to the mirror", lambda o, c, s: rewrite_images(o, s.spec.images.registry)),
    ComponentStep(
        "pin KServe's floating runtime images", lambda o, c, s: pin_config_images(o, c.version), component="kserve"
    ),
    ComponentStep("serve TLS at the gateway", lambda o, c, s: serve_tls(o, s.spec), component="kubeflow-base"),
    # The laptop reaches the gateway through a kind port mapping.
    ComponentStep(
        "kind ingress port", lambda o, c, s: kind_ingress_patch(o), component="istio", when=lambda spec: spec.is_kind
    ),
    # A cloud reaches the gateway through its load balancer.
    ComponentStep(
        "cloud load balancer",
        lambda o, c, s: cloud_load_balancer(o, s.spec.cloud.provider),
        component="istio",
        when=lambda spec: spec.is_cloud,
    ),
    ComponentStep("label with component and version", lambda o, c, s: add_labels(o, c.name, c.version)),
    Step("collapse objects two components render identically", dedupe),
    Step("configure identity (Dex, oauth2-proxy)", identity),
    Step("use the managed database and object store (data.*: cloud only)", managed_data),
    Step("isolate teams (tenant roles, per-team store identities, database users)", isolation),
    # Before the security layer: it derives Prometheus's allows from these monitors too.
    Step("monitor the platform's components", monitor_components),
    Step("add kubeforge's own components", add_kubeforge_components),
    # Each team got its own model registry from the shared one's objects: the shared server goes.
    ComponentStep("one model registry per team", lambda o, c, s: without_shared_registry(s.spec, o)),
    # Our own workloads (per-team KFP servers) get the same sizing, hardening and mirror rewrite.
    ComponentStep("size", lambda o, c, s: apply_sizing(o, c.sizing), of="kubeforge"),
    ComponentStep("harden pods", lambda o, c, s: harden(o), of="kubeforge"),
    # After sizing: the team's quota gains exactly what kubeforge's own pods there take (sidecars included).
    ComponentStep(
        "add the platform's own pods to each team quota",
        lambda o, c, s: with_platform_share(o),
        of="kubeforge",
        component=TEAMS_COMPONENT,
    ),
    ComponentStep(
        "rewrite images to the mirror", lambda o, c, s: rewrite_images(o, s.spec.images.registry), of="kubeforge"
    ),
    ComponentStep("label with component and version", lambda o, c, s: add_labels(o, c.name, c.version), of="kubeforge"),
    # Server-side apply of `rules` on an aggregated ClusterRole conflicts with the aggregation controller.
    ComponentStep(
        "leave aggregated roles' rules to the controller", lambda o, c, s: drop_aggregated_rules(o), of="every"
    ),
    # Applied, a caBundle placeholder is kubeforge's field: later applies would reset what cainjector wrote.
    ComponentStep(
        "leave injected caBundles to cainjector", lambda o, c, s: leave_ca_bundles_to_injector(o), of="every"
    ),
    # After the identity and team layers: their Secrets are generated the same way.
    ComponentStep(
        "generate secrets", lambda o, c, s: generate_secrets(o, kind=s.spec.is_kind, store=s.secrets), of="every"
    ),
    ComponentStep("record checkov decisions", lambda o, c, s: record_decisions(o), of="every"),
    Step("plan install waves", plan_install_waves),
    Step("order by component, wave and kind", order),
)


def render_platform(
    spec: PlatformSpec,
    *,
    lock: Lock | None = None,
    cache: Path | None = None,
    secrets: SecretStore | None = None,
    progress: Progress | None = None,
) -> Render:
    lock = lock or load_lock(spec.release)
    secrets = secrets if secrets is not None else extensions.default_secret_store(spec.cluster.name)
    spec, notes = for_release(spec, lock)
    state = State(spec, lock, find_kustomize(), cache or cache_dir(), secrets, progress, notes=notes)
    for step in STEPS:
        step.run(state)
    assert state.waves is not None, "STEPS plans the waves"
    return Render(spec, lock, state.kustomize, list(state.components), state.records, state.waves, state.notes)
