"""Every flow the platform needs, as `Allow`s: declared per component (COMPONENT_FLOWS) or derived
from the rendered objects (webhooks, gateway routes, Services, RBAC). NetworkPolicies and the
reachability check's required flows are both generated from this one list."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kubeforge.names import (
    INGRESS_GATEWAY_PODS,
    ISTIOD_PODS,
    KUBE_DNS_PODS,
    LOCAL_GATEWAY_PODS,
    MONITORING_LABEL,
    PLATFORM_NAMESPACES,
)
from kubeforge.security.apiserver import API_SERVER_PORTS, api_server_cidrs
from kubeforge.security.inventory import Inventory
from kubeforge.spec.model import PlatformSpec

EVERY_TEAM = "*teams*"  # a Side namespace meaning every team namespace (selected by TEAM_LABEL)
ANYWHERE = "*anywhere*"  # any source: the API server, external clients (address unknown statically)
Ports = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Side:
    """Pods (namespace, labels; labels None = all pods), every team namespace, anywhere, or CIDRs."""

    namespace: str = ANYWHERE
    pods: dict[str, str] | None = field(default=None, hash=False)
    cidrs: tuple[str, ...] = ()
    namespace_labels: dict[str, str] | None = field(default=None, hash=False)


@dataclass(frozen=True)
class Allow:
    name: str
    component: str
    reason: str
    src: Side
    dst: Side
    ports: Ports = ()  # (protocol, port) at the destination; empty: every port


def tcp(*ports: int) -> Ports:
    return tuple(("TCP", p) for p in ports)


@dataclass(frozen=True)
class ServiceFlow:
    """Declared: `src` pods reach Service namespace/name on `ports` (Service ports; None: all)."""

    name: str
    component: str
    reason: str
    src: Side
    service: tuple[str, str]
    ports: tuple[int, ...] | None = None


GATEWAY = Side("istio-system", INGRESS_GATEWAY_PODS)
LOCAL_GATEWAY = Side("istio-system", LOCAL_GATEWAY_PODS)
TEAM_PODS = Side(EVERY_TEAM)

COMPONENT_FLOWS: tuple[ServiceFlow, ...] = (
    ServiceFlow(
        "gateway-ext-authz",
        "oauth2-proxy",
        "the gateway asks oauth2-proxy about every request",
        GATEWAY,
        ("oauth2-proxy", "oauth2-proxy"),
        (80,),
    ),
    ServiceFlow(
        "oauth2-proxy-dex",
        "oauth2-proxy",
        "oauth2-proxy redeems codes and reads keys at Dex",
        Side("oauth2-proxy", None),
        ("auth", "dex"),
        (5556,),
    ),
    ServiceFlow(
        "istiod-dex-jwks",
        "istio",
        "istiod fetches Dex's JWKS for RequestAuthentication",
        Side("istio-system", ISTIOD_PODS),
        ("auth", "dex"),
        (5556,),
    ),
    ServiceFlow(
        "local-gateway-activator",
        "knative",
        "cluster-local traffic to scaled-to-zero services",
        LOCAL_GATEWAY,
        ("knative-serving", "activator-service"),
        (80, 81),
    ),
    ServiceFlow(
        "gateway-activator",
        "knative",
        "external traffic to scaled-to-zero services",
        GATEWAY,
        ("knative-serving", "activator-service"),
        (80, 81),
    ),
    ServiceFlow(
        "teams-kfp-api",
        "pipelines",
        "pipeline steps and notebooks call the KFP API",
        TEAM_PODS,
        ("kubeflow", "ml-pipeline"),
        (8887, 8888),
    ),
    ServiceFlow(
        "teams-kfp-metadata",
        "pipelines",
        "the KFP launcher records ML metadata",
        TEAM_PODS,
        ("kubeflow", "metadata-grpc-service"),
        (8080,),
    ),
    ServiceFlow(
        "teams-kfp-artifacts",
        "pipelines",
        "steps read and write artifacts (team prefixes by IAM)",
        TEAM_PODS,
        ("kubeflow", "seaweedfs"),
        (8333,),
    ),
    ServiceFlow(
        "teams-model-registry",
        "model-registry",
        "teams register models",
        TEAM_PODS,
        ("kubeflow", "model-registry-service"),
        (8080,),
    ),
    ServiceFlow(
        "teams-katib-db",
        "katib",
        "trial metrics collectors report to the Katib DB manager",
        TEAM_PODS,
        ("kubeflow", "katib-db-manager"),
        (6789,),
    ),
    ServiceFlow(
        "teams-istiod",
        "istio",
        "team sidecars get config and certificates",
        TEAM_PODS,
        ("istio-system", "istiod"),
        (15012,),
    ),
)

# Platform pods that open connections into team namespaces: (name, component, src, ports, reason).
INTO_TEAMS: tuple[tuple[str, str, Side, Ports, str], ...] = (
    ("gateway-teams", "istio", GATEWAY, (), "notebooks, tensorboards and inference services behind the gateway"),
    ("local-gateway-teams", "knative", LOCAL_GATEWAY, (), "cluster-local inference traffic"),
    (
        "activator-teams",
        "knative",
        Side("knative-serving", {"app": "activator"}),
        tcp(8012, 8013),
        "the activator proxies to queue-proxy",
    ),
    (
        "autoscaler-teams",
        "knative",
        Side("knative-serving", {"app": "autoscaler"}),
        tcp(9090, 9091, 8022),
        "the autoscaler scrapes queue-proxy",
    ),
    (
        "kfp-ui-teams",
        "pipelines",
        Side("kubeflow", {"app": "ml-pipeline-ui"}),
        tcp(3000, 8888),
        "artifact proxy and visualizations",
    ),
    (
        "kfp-api-teams",
        "pipelines",
        Side("kubeflow", {"app": "ml-pipeline"}),
        tcp(8888),
        "the KFP API renders visualizations",
    ),
    (
        "notebook-culler-teams",
        "notebooks",
        Side("kubeflow", {"app": "notebook-controller"}),
        tcp(8888),
        "the culler polls kernels",
    ),
    (
        "katib-suggestions-teams",
        "katib",
        Side("kubeflow", {"katib.kubeflow.org/component": "controller"}),
        tcp(6789, 6788),
        "the controller calls suggestion services",
    ),
)
_METRICS = re.compile(r"metrics|monitoring|prom")


def _declared(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    out = []
    for flow in COMPONENT_FLOWS:
        if not spec.enabled(flow.component):
            continue
        ns, name = flow.service
        ports = flow.ports or tuple(
            int(p["port"]) for p in (inv.services.get((ns, name), {}).get("spec") or {}).get("ports") or []
        )
        for port in ports:
            backend = inv.backend(ns, name, port)
            if backend is None:
                problems.append(
                    f"{flow.component}: {flow.name} needs Service {ns}/{name} port {port}, which is not rendered"
                )
                continue
            out.append(
                Allow(
                    f"{flow.name}-{port}",
                    flow.component,
                    flow.reason,
                    flow.src,
                    Side(ns, backend.pods),
                    tcp(backend.port),
                )
            )
    for name, component, src, into_ports, reason in INTO_TEAMS:
        if spec.enabled(component) and inv.pods(src.namespace, src.pods):
            out.append(Allow(name, component, reason, src, TEAM_PODS, into_ports))
    return out


def _derived(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    out: list[Allow] = []
    for ns, name, port in inv.webhook_services():
        b = inv.backend(ns, name, port)
        if b is None:
            problems.append(f"webhook Service {ns}/{name} port {port} has no rendered backend")
            continue
        out.append(
            Allow(
                f"apiserver-webhook-{name}-{b.port}",
                "webhooks",
                "the API server calls this webhook",
                Side(ANYWHERE),
                Side(ns, b.pods),
                tcp(b.port),
            )
        )
    for ns, name, route_port in inv.gateway_routes():
        b = inv.backend(ns, name, route_port)
        if b is None:
            problems.append(
                f"the gateway routes to Service {ns}/{name} port {route_port}, which has no rendered backend"
            )
            continue
        out.append(
            Allow(
                f"gateway-{name}-{b.port}",
                "routes",
                "the ingress gateway serves this web app",
                GATEWAY,
                Side(ns, b.pods),
                tcp(b.port),
            )
        )
    for ns in [n for n in _platform_namespaces(inv) if inv.workloads.get(n)]:
        ports = sorted({b.port for b in inv.service_backends(ns)})
        if ports:
            out.append(
                Allow(
                    f"same-namespace-services-{ns}",
                    "services",
                    "pods call Services of their own namespace",
                    Side(ns),
                    Side(ns),
                    tcp(*ports),
                )
            )
        dns = Side("kube-system", KUBE_DNS_PODS)
        out.append(Allow(f"dns-{ns}", "dns", "name resolution", Side(ns), dns, (("UDP", 53), ("TCP", 53))))
        out.append(
            Allow(
                f"istiod-{ns}",
                "istio",
                "sidecars and gateways get config and certificates",
                Side(ns),
                Side("istio-system", ISTIOD_PODS),
                tcp(15012),
            )
        )
    out += _metrics(inv)
    cidrs = api_server_cidrs(spec)
    for w in inv.api_clients():
        if w.namespace in PLATFORM_NAMESPACES:
            out.append(
                Allow(
                    f"apiserver-{w.name}",
                    "controllers",
                    "uses the Kubernetes API (its service account is bound)",
                    Side(w.namespace, w.labels),
                    Side(cidrs=cidrs),
                    tcp(*API_SERVER_PORTS),
                )
            )
    gw = inv.pods("istio-system", INGRESS_GATEWAY_PODS)
    if gw:
        ports = sorted({p for w in gw for n, p in w.ports.items()} | {8080, 8443})
        out.append(
            Allow(
                "clients-gateway",
                "istio",
                "users reach the platform through the gateway",
                Side(ANYWHERE),
                GATEWAY,
                tcp(*ports),
            )
        )
    if inv.pods("istio-system", LOCAL_GATEWAY_PODS):
        for src_ns in ("kubeflow", "knative-serving", EVERY_TEAM):
            out.append(
                Allow(
                    f"local-gateway-from-{src_ns.strip('*')}",
                    "knative",
                    "cluster-local calls to inference services",
                    Side(src_ns),
                    LOCAL_GATEWAY,
                    tcp(8080, 8081, 8444),
                )
            )
    out += _external(spec, inv)
    return out


def _metrics(inv: Inventory) -> list[Allow]:
    """Metrics ports (by Service port name) open to namespaces labelled for monitoring."""
    out = []
    for (ns, name), svc in sorted(inv.services.items()):
        if ns not in PLATFORM_NAMESPACES:
            continue
        for p in (svc.get("spec") or {}).get("ports") or []:
            if _METRICS.search(str(p.get("name", ""))):
                b = inv.backend(ns, name, p.get("port"))
                if b is not None:
                    src = Side(EVERY_TEAM, namespace_labels={MONITORING_LABEL: "enabled"})
                    out.append(
                        Allow(
                            f"metrics-{name}-{b.port}",
                            "metrics",
                            "Prometheus scrapes metrics",
                            src,
                            Side(ns, b.pods),
                            tcp(b.port),
                        )
                    )
    return out


def _external(spec: PlatformSpec, inv: Inventory) -> list[Allow]:
    """Egress out of the cluster, port by port, for the components that need it."""
    anywhere = Side(cidrs=("0.0.0.0/0", "::/0"))
    out = []
    ports = [443]
    for c in spec.identity.connectors:
        if c.type == "ldap":
            host_port = c.host.rsplit(":", 1)
            ports.append(int(host_port[1]) if len(host_port) == 2 and host_port[1].isdigit() else 636)
    if spec.identity.connectors and inv.pods("auth", {"app": "dex"}):
        out.append(
            Allow(
                "dex-idps",
                "dex",
                "Dex talks to the upstream IdPs (OIDC, LDAP, GitHub)",
                Side("auth", {"app": "dex"}),
                anywhere,
                tcp(*sorted(set(ports))),
            )
        )
    if spec.ingress.tls.mode == "issuer" and inv.pods("cert-manager", {"app.kubernetes.io/component": "controller"}):
        out.append(
            Allow(
                "cert-manager-acme",
                "cert-manager",
                "ACME issuers: HTTP-01 self-check and the CA's API",
                Side("cert-manager", {"app.kubernetes.io/component": "controller"}),
                anywhere,
                tcp(80, 443),
            )
        )
    if inv.pods("knative-serving", {"app": "controller"}):
        out.append(
            Allow(
                "knative-registries",
                "knative",
                "the controller resolves image tags to digests",
                Side("knative-serving", {"app": "controller"}),
                anywhere,
                tcp(443),
            )
        )
    return out


def _platform_namespaces(inv: Inventory) -> list[str]:
    return [ns for ns in PLATFORM_NAMESPACES if ns in inv.namespaces or ns in inv.workloads]


def platform_allows(spec: PlatformSpec, inv: Inventory) -> tuple[list[Allow], list[str]]:
    """All allows, sorted by name, and the problems (declared flows whose Service is missing)."""
    problems: list[str] = []
    allows = _declared(spec, inv, problems) + _derived(spec, inv, problems)
    seen: dict[str, Allow] = {}
    for a in allows:
        seen.setdefault(a.name, a)
    return sorted(seen.values(), key=lambda a: a.name), problems


__all__ = ["ANYWHERE", "COMPONENT_FLOWS", "EVERY_TEAM", "INTO_TEAMS", "Allow", "Side", "platform_allows"]
