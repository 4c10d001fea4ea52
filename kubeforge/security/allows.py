"""Every flow the platform needs, as `Allow`s: the declared ones (`declared`) and the ones derived
from the rendered objects (webhooks, gateway routes, Services, RBAC, metrics, egress). NetworkPolicies
and the reachability check's required flows are both generated from this one list."""

from __future__ import annotations

import re
from collections.abc import Callable

from kubeforge.errors import RenderFailed
from kubeforge.managed.artifacts import PLATFORM_CLIENTS
from kubeforge.managed.database import BOOTSTRAP_LABEL
from kubeforge.managed.network import DATABASE_PORT, STORAGE_PORT, database_cidr, identity_endpoints
from kubeforge.names import (
    INGRESS_GATEWAY_PODS,
    ISTIOD_PODS,
    KUBE_DNS_PODS,
    LOCAL_GATEWAY_PODS,
    MONITORING_LABEL,
    PLATFORM_NAMESPACES,
)
from kubeforge.security.apiserver import API_SERVER_PORTS, api_server_cidrs, node_cidrs
from kubeforge.security.declared import (
    ANYWHERE,
    COMPONENT_FLOWS,
    EVERY_TEAM,
    GATEWAY,
    INTO_TEAMS,
    LOCAL_GATEWAY,
    TEAM_PODS,
    Allow,
    Side,
    tcp,
)
from kubeforge.security.inventory import Inventory
from kubeforge.security.scrapes import API_SERVER, NODES, scrape_targets
from kubeforge.spec.model import PlatformSpec

Derivation = Callable[[PlatformSpec, Inventory, list[str]], list[Allow]]
_METRICS = re.compile(r"metrics|monitoring|prom")
_ANYWHERE_OUTSIDE = Side(cidrs=("0.0.0.0/0", "::/0"))


def component_flows(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """COMPONENT_FLOWS of enabled components, one Allow per Service port, to the pods behind it."""
    out = []
    for flow in COMPONENT_FLOWS:
        if not spec.enabled(flow.component) or (flow.in_cluster_store and spec.data.artifacts.managed):
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
    return out


def into_teams(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """INTO_TEAMS of enabled components whose calling pods are rendered."""
    return [
        Allow(f.name, f.component, f.reason, f.src, Side(EVERY_TEAM, f.pods) if f.pods else TEAM_PODS, f.ports)
        for f in INTO_TEAMS
        if spec.enabled(f.component) and inv.pods(f.src.namespace, f.src.pods)
    ]


def webhooks(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """The API server calls every webhook (admission, conversion, APIService) on its backend's port."""
    out = []
    for ns, name, port in inv.webhook_services():
        b = inv.backend(ns, name, port)
        if b is None:
            problems.append(f"webhook Service {ns}/{name} port {port} has no rendered backend")
            continue
        reason = "the API server calls this webhook"
        out.append(
            Allow(
                f"apiserver-webhook-{name}-{b.port}", "webhooks", reason, Side(ANYWHERE), Side(ns, b.pods), tcp(b.port)
            )
        )
    return out


def gateway_routes(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """The ingress gateway reaches every Service a VirtualService on kubeflow-gateway routes to."""
    out = []
    for ns, name, route_port in inv.gateway_routes():
        b = inv.backend(ns, name, route_port)
        if b is None:
            problems.append(
                f"the gateway routes to Service {ns}/{name} port {route_port}, which has no rendered backend"
            )
            continue
        reason = "the ingress gateway serves this web app"
        out.append(Allow(f"gateway-{name}-{b.port}", "routes", reason, GATEWAY, Side(ns, b.pods), tcp(b.port)))
    return out


def namespace_basics(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """In each platform namespace with workloads: its own Services, DNS, and istiod for the sidecars."""
    out: list[Allow] = []
    for ns in [n for n in _platform_namespaces(inv) if inv.workloads.get(n)]:
        ports = sorted({b.port for b in inv.service_backends(ns)})
        if ports:
            reason = "pods call Services of their own namespace"
            out.append(Allow(f"same-namespace-services-{ns}", "services", reason, Side(ns), Side(ns), tcp(*ports)))
        dns = Side("kube-system", KUBE_DNS_PODS)
        out.append(Allow(f"dns-{ns}", "dns", "name resolution", Side(ns), dns, (("UDP", 53), ("TCP", 53))))
        reason = "sidecars and gateways get config and certificates"
        out.append(Allow(f"istiod-{ns}", "istio", reason, Side(ns), Side("istio-system", ISTIOD_PODS), tcp(15012)))
    return out


def metrics(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
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
                    reason = "Prometheus scrapes metrics"
                    out.append(Allow(f"metrics-{name}-{b.port}", "metrics", reason, src, Side(ns, b.pods), tcp(b.port)))
    return out


PROMETHEUS_PODS = {"app.kubernetes.io/name": "prometheus"}
ALERTMANAGER_PODS = {"app.kubernetes.io/name": "alertmanager"}


def _prometheus_namespaces(inv: Inventory) -> list[str]:
    return sorted({ns for ns, ws in inv.workloads.items() for w in ws if PROMETHEUS_PODS.items() <= w.labels.items()})


def scrapes(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """Prometheus reaches every target of every ServiceMonitor and PodMonitor, on the target's port."""
    out: list[Allow] = []
    targets, found = scrape_targets(inv)
    problems += found
    for prom_ns in _prometheus_namespaces(inv):
        src = Side(prom_ns, PROMETHEUS_PODS)
        used: dict[str, int] = {}
        for t in sorted(targets, key=lambda t: (t.monitor, t.namespace, sorted((t.pods or {}).items()), t.port)):
            if t.namespace == NODES:
                dst = Side(cidrs=node_cidrs(spec))
            elif t.namespace == API_SERVER:
                dst = Side(cidrs=api_server_cidrs(spec))
            else:
                dst = Side(t.namespace, t.pods)
            _, mon_ns, mon_name = t.monitor.split("/")
            base = f"scrape-{mon_ns}-{mon_name}-{t.port}"
            used[base] = used.get(base, 0) + 1
            name = base if used[base] == 1 else f"{base}-{used[base]}"
            out.append(Allow(name, "monitoring", f"Prometheus scrapes {t.monitor}", src, dst, tcp(t.port)))
    return out


def alerting(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """Prometheus sends alerts to the Alertmanagers its object names; Alertmanager replicas gossip."""
    out: list[Allow] = []
    for o in inv.objects:
        if o.get("kind") != "Prometheus" or not str(o.get("apiVersion", "")).startswith("monitoring.coreos.com/"):
            continue
        prom_ns = str((o.get("metadata") or {}).get("namespace") or "default")
        for am in ((o.get("spec") or {}).get("alerting") or {}).get("alertmanagers") or []:
            ns, name, port = str(am.get("namespace") or prom_ns), str(am.get("name")), am.get("port")
            svc = inv.services.get((ns, name))
            number = next(
                (p.get("port") for p in ((svc or {}).get("spec") or {}).get("ports") or [] if p.get("name") == port),
                port if isinstance(port, int) else None,
            )
            b = inv.backend(ns, name, number) if number is not None else None
            if b is None:
                problems.append(
                    f"monitoring: Prometheus {prom_ns} alerts Service {ns}/{name} port {port}, not rendered"
                )
                continue
            reason = "Prometheus sends alerts to Alertmanager"
            src = Side(prom_ns, PROMETHEUS_PODS)
            out.append(Allow(f"alerts-{name}-{b.port}", "monitoring", reason, src, Side(ns, b.pods), tcp(b.port)))
    for ns in sorted(
        {w.namespace for ws in inv.workloads.values() for w in ws if ALERTMANAGER_PODS.items() <= w.labels.items()}
    ):
        peers = Side(ns, ALERTMANAGER_PODS)
        reason = "Alertmanager replicas gossip to share silences and notifications"
        out.append(
            Allow(f"alertmanager-peers-{ns}", "monitoring", reason, peers, peers, (("TCP", 9094), ("UDP", 9094)))
        )
    return out


def api_clients(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """Platform workloads whose service account is bound reach the API server."""
    cidrs = api_server_cidrs(spec)
    reason = "uses the Kubernetes API (its service account is bound)"
    return [
        Allow(
            f"apiserver-{w.name}",
            "controllers",
            reason,
            Side(w.namespace, w.labels),
            Side(cidrs=cidrs),
            tcp(*API_SERVER_PORTS),
        )
        for w in inv.api_clients()
        if w.namespace in PLATFORM_NAMESPACES
    ]


def gateways(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """Users reach the ingress gateway; the platform and teams reach the cluster-local gateway."""
    out = []
    gw = inv.pods("istio-system", INGRESS_GATEWAY_PODS)
    if gw:
        ports = sorted({p for w in gw for n, p in w.ports.items()} | {8080, 8443})
        reason = "users reach the platform through the gateway"
        out.append(Allow("clients-gateway", "istio", reason, Side(ANYWHERE), GATEWAY, tcp(*ports)))
    if inv.pods("istio-system", LOCAL_GATEWAY_PODS) and spec.enabled("knative"):  # it routes only to Knative
        for src_ns in ("kubeflow", "knative-serving", EVERY_TEAM):
            reason = "cluster-local calls to inference services"
            name = f"local-gateway-from-{src_ns.strip('*')}"
            out.append(Allow(name, "knative", reason, Side(src_ns), LOCAL_GATEWAY, tcp(8080, 8081, 8444)))
    return out


def external(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """Egress out of the cluster, port by port, for the components that need it."""
    out = []
    ports = [443]
    for c in spec.identity.connectors:
        if c.type == "ldap":
            host_port = c.host.rsplit(":", 1)
            ports.append(int(host_port[1]) if len(host_port) == 2 and host_port[1].isdigit() else 636)
    if spec.identity.connectors and inv.pods("auth", {"app": "dex"}):
        reason = "Dex talks to the upstream IdPs (OIDC, LDAP, GitHub)"
        out.append(
            Allow("dex-idps", "dex", reason, Side("auth", {"app": "dex"}), _ANYWHERE_OUTSIDE, tcp(*sorted(set(ports))))
        )
    cert_manager = {"app.kubernetes.io/component": "controller"}
    if spec.ingress.tls.mode == "issuer" and inv.pods("cert-manager", cert_manager):
        reason = "ACME issuers: HTTP-01 self-check and the CA's API"
        src = Side("cert-manager", cert_manager)
        out.append(Allow("cert-manager-acme", "cert-manager", reason, src, _ANYWHERE_OUTSIDE, tcp(80, 443)))
    if inv.pods("knative-serving", {"app": "controller"}):
        reason = "the controller resolves image tags to digests"
        src = Side("knative-serving", {"app": "controller"})
        out.append(Allow("knative-registries", "knative", reason, src, _ANYWHERE_OUTSIDE, tcp(443)))
    return out


# Platform pods that talk to the managed database, by component (the bootstrap Jobs create each one's user).
DATABASE_CLIENTS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("pipelines", "kfp-api", {"app": "ml-pipeline"}),
    ("pipelines", "kfp-cache", {"app": "cache-server"}),
    ("pipelines", "kfp-metadata", {"component": "metadata-grpc-server"}),
    ("katib", "katib-db-manager", {"katib.kubeflow.org/component": "db-manager"}),
    ("model-registry", "model-registry", {"component": "model-registry-server"}),
    ("pipelines", "db-bootstrap-kfp", {**BOOTSTRAP_LABEL, "kubeforge.io/database-user": "kfp"}),
    ("katib", "db-bootstrap-katib", {**BOOTSTRAP_LABEL, "kubeforge.io/database-user": "katib"}),
    (
        "model-registry",
        "db-bootstrap-model-registry",
        {**BOOTSTRAP_LABEL, "kubeforge.io/database-user": "model-registry"},
    ),
)
STORAGE_CLIENTS = tuple(("pipelines", sa, {"app": sa}) for sa in PLATFORM_CLIENTS)


def managed_data(spec: PlatformSpec, inv: Inventory, problems: list[str]) -> list[Allow]:
    """Egress to the managed database (its private range, 3306) and the object store's API (443)."""
    out = []
    if spec.data.database.managed:
        db = Side(cidrs=(database_cidr(spec),))
        for component, name, pods in DATABASE_CLIENTS:
            if spec.enabled(component) and inv.pods("kubeflow", pods):
                reason = "reads and writes its own database on the managed MySQL"
                out.append(
                    Allow(f"managed-database-{name}", component, reason, Side("kubeflow", pods), db, tcp(DATABASE_PORT))
                )
    if spec.data.artifacts.managed:
        store = Side(cidrs=tuple(spec.data.artifacts.endpoint_cidrs))
        for component, name, pods in STORAGE_CLIENTS:
            if spec.enabled(component) and inv.pods("kubeflow", pods):
                reason = "reads and writes pipeline artifacts on the cloud object store"
                out.append(
                    Allow(
                        f"managed-artifacts-{name}", component, reason, Side("kubeflow", pods), store, tcp(STORAGE_PORT)
                    )
                )
    if spec.data.artifacts.managed and spec.enabled("pipelines"):
        # S3: the API server and the UI sign with Pod Identity's credentials; GCS: the UI reads gs:// as its
        # own Workload Identity principal, the API server uses its HMAC key instead.
        clients = ("ml-pipeline-ui",) if spec.data.artifacts.provider == "gcs" else PLATFORM_CLIENTS
        for sa in clients:
            pods = {"app": sa}
            if not inv.pods("kubeflow", pods):
                continue
            reason = "fetches its cloud credentials (EKS Pod Identity agent, GKE metadata server)"
            for cidr, port in identity_endpoints(spec):
                out.append(
                    Allow(
                        f"workload-identity-{sa}-{port}",
                        "pipelines",
                        reason,
                        Side("kubeflow", pods),
                        Side(cidrs=(cidr,)),
                        tcp(port),
                    )
                )
    return out


# In this order: `problems` lists what is missing in the order a reader meets it.
DERIVATIONS: tuple[Derivation, ...] = (
    component_flows,
    into_teams,
    webhooks,
    gateway_routes,
    namespace_basics,
    metrics,
    scrapes,
    alerting,
    api_clients,
    gateways,
    external,
    managed_data,
)


def _platform_namespaces(inv: Inventory) -> list[str]:
    return [ns for ns in PLATFORM_NAMESPACES if ns in inv.namespaces or ns in inv.workloads]


def platform_allows(spec: PlatformSpec, inv: Inventory) -> tuple[list[Allow], list[str]]:
    """All allows, sorted by name, and the problems (declared flows whose Service is missing).

    Names become NetworkPolicy names: two allows with one name would overwrite each other, so a
    repeated name is an error, not a silent drop."""
    problems: list[str] = []
    seen: dict[str, Allow] = {}
    for derive in DERIVATIONS:
        for a in derive(spec, inv, problems):
            if a.name in seen:
                raise RenderFailed(f"allow {a.name!r} is derived twice ({seen[a.name].component} and {a.component})")
            seen[a.name] = a
    return sorted(seen.values(), key=lambda a: a.name), problems


__all__ = ["DERIVATIONS", "platform_allows"]
