"""Where Prometheus scrapes, derived from the rendered ServiceMonitors and PodMonitors: each endpoint
resolved to its Service port, the pods behind it and their container port (or the nodes, for
host-network pods and the kubelet). Monitors that select nothing, or name a port that does not exist,
are problems: `kubeforge check` reports them and the render's tests fail on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubeforge.k8s import KObj, labels_of, name_of, namespace_of
from kubeforge.names import KUBE_DNS_PODS
from kubeforge.security.declared import EVERY_TEAM
from kubeforge.security.inventory import Inventory

MONITOR_KINDS = ("ServiceMonitor", "PodMonitor")
USER_WORKLOADS_LABEL = "kubeforge.io/scrapes"  # `user-workloads`: a monitor of pods users create (team namespaces)
NODES = "*nodes*"  # a target namespace meaning the nodes' own addresses
API_SERVER = "*apiserver*"  # a target namespace meaning the API server's addresses


@dataclass(frozen=True)
class ClusterService:
    """A Service every cluster has that the render does not hold, and where its metrics port leads."""

    namespace: str
    name: str
    labels: dict[str, str] = field(hash=False)
    ports: dict[str, int] = field(hash=False)  # Service port name -> the port the target listens on
    target: str  # NODES, API_SERVER or a namespace
    pods: dict[str, str] | None = field(default=None, hash=False)


CLUSTER_SERVICES = (
    ClusterService(
        "default", "kubernetes", {"component": "apiserver", "provider": "kubernetes"}, {"https": 6443}, API_SERVER
    ),
    ClusterService("kube-system", "kube-dns", {"k8s-app": "kube-dns"}, {"metrics": 9153}, "kube-system", KUBE_DNS_PODS),
    # The Prometheus Operator keeps this Service's endpoints at every node's kubelet (--kubelet-service).
    ClusterService("kube-system", "kubelet", {"app.kubernetes.io/name": "kubelet"}, {"https-metrics": 10250}, NODES),
    # kubeadm serves these on the control-plane nodes (bind-address 0.0.0.0 is needed to scrape them).
    ClusterService(
        "kube-system",
        "kube-controller-manager",
        {"app.kubernetes.io/name": "kube-controller-manager"},
        {"https-metrics": 10257},
        NODES,
    ),
    ClusterService(
        "kube-system", "kube-scheduler", {"app.kubernetes.io/name": "kube-scheduler"}, {"https-metrics": 10259}, NODES
    ),
)


@dataclass(frozen=True)
class Target:
    """One monitor endpoint resolved: `namespace` is a namespace, NODES or API_SERVER."""

    monitor: str  # Kind/namespace/name
    namespace: str
    pods: dict[str, str] | None = field(hash=False)
    port: int


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A full label selector (matchLabels and matchExpressions), as the operator evaluates it."""
    if any(labels.get(str(k)) != str(v) for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = str(expr.get("key")), expr.get("operator"), [str(v) for v in expr.get("values") or []]
        present = key in labels
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and present and labels[key] in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def _namespaces(monitor: KObj, inv: Inventory) -> set[str] | None:
    """The namespaces a monitor looks in; None: every namespace."""
    sel = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    if sel.get("any"):
        return None
    names = sel.get("matchNames")
    return {str(n) for n in names} if names else {namespace_of(monitor) or "default"}


def _service_targets(monitor: KObj, inv: Inventory, where: str, problems: list[str]) -> list[Target]:
    spec = monitor.get("spec") or {}
    selector = spec.get("selector") or {}
    namespaces = _namespaces(monitor, inv)
    services = [
        (ns, name, svc)
        for (ns, name), svc in sorted(inv.services.items())
        if (namespaces is None or ns in namespaces) and _matches(selector, labels_of(svc))
    ]
    cluster = [
        c
        for c in CLUSTER_SERVICES
        if (namespaces is None or c.namespace in namespaces) and _matches(selector, c.labels)
    ]
    if not services and not cluster:
        problems.append(f"{where} selects no rendered Service")
        return []
    out = []
    for endpoint in spec.get("endpoints") or []:
        port_name = endpoint.get("port")
        found = False
        for ns, name, svc in services:
            for p in (svc.get("spec") or {}).get("ports") or []:
                if p.get("name") != port_name:
                    continue
                b = inv.backend(ns, name, p.get("port"))
                if b is None:
                    problems.append(f"{where}: Service {ns}/{name} port {port_name} has no rendered backend")
                    continue
                found = True
                host = any(w.host_network for w in inv.pods(ns, b.pods))
                out.append(Target(where, NODES if host else ns, None if host else b.pods, b.port))
        for c in cluster:
            if port_name in c.ports:
                found = True
                out.append(Target(where, c.target, c.pods, c.ports[str(port_name)]))
        if not found:
            problems.append(f"{where}: endpoint port {port_name!r} is not a named port of the Services it selects")
    return out


def _pod_targets(monitor: KObj, inv: Inventory, where: str, problems: list[str]) -> list[Target]:
    spec = monitor.get("spec") or {}
    selector = spec.get("selector") or {}
    namespaces = _namespaces(monitor, inv)
    pods = [
        w
        for ns in sorted(inv.workloads)
        if namespaces is None or ns in namespaces
        for w in inv.workloads[ns]
        if _matches(selector, w.labels)
    ]
    if labels_of(monitor).get(USER_WORKLOADS_LABEL) == "user-workloads":
        # Pods users create (InferenceServices): every team namespace, on the monitor's port numbers.
        ports = [int(e["portNumber"]) for e in spec.get("podMetricsEndpoints") or [] if "portNumber" in e]
        return [Target(where, EVERY_TEAM, None, p) for p in ports]
    if not pods:
        problems.append(f"{where} selects no rendered pod")
        return []
    out = []
    for endpoint in spec.get("podMetricsEndpoints") or []:
        if "port" not in endpoint and "portNumber" in endpoint:
            out += [Target(where, w.namespace, w.labels, int(endpoint["portNumber"])) for w in pods]
            continue
        port_name = str(endpoint.get("port"))
        with_port = [w for w in pods if port_name in w.ports]
        if not with_port:
            problems.append(
                f"{where}: endpoint port {port_name!r} is not a named container port of the pods it selects"
            )
        for w in with_port:
            ns = NODES if w.host_network else w.namespace
            out.append(Target(where, ns, None if w.host_network else w.labels, w.ports[port_name]))
    return out


def scrape_targets(inv: Inventory) -> tuple[list[Target], list[str]]:
    """Every endpoint of every monitor, resolved; and the problems (monitors or ports that lead nowhere)."""
    targets: list[Target] = []
    problems: list[str] = []
    for o in inv.objects:
        kind = o.get("kind")
        if kind not in MONITOR_KINDS or not str(o.get("apiVersion", "")).startswith("monitoring.coreos.com/"):
            continue
        where = f"{kind}/{namespace_of(o) or 'default'}/{name_of(o)}"
        resolve = _service_targets if kind == "ServiceMonitor" else _pod_targets
        targets += resolve(o, inv, where, problems)
    unique = {(t.monitor, t.namespace, tuple(sorted((t.pods or {}).items())), t.port): t for t in targets}
    return list(unique.values()), problems


__all__ = [
    "API_SERVER",
    "CLUSTER_SERVICES",
    "MONITOR_KINDS",
    "NODES",
    "USER_WORKLOADS_LABEL",
    "Target",
    "scrape_targets",
]
