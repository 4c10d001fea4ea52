"""Proof without a cluster: the flows the platform needs are allowed and the flows that would break
isolation are denied, decided by `kubeforge.netpol` over the rendered NetworkPolicies.

User workloads do not exist at render time, so each team gets a probe pod class (a notebook-like
pod on 8888) and kube-system gets CoreDNS and a control-plane pod; they join the evaluation only.
"""

from __future__ import annotations

import gc
import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager

from kubeforge.findings import Finding
from kubeforge.isolation.datapaths import artifact_problems, registry_problems, shared_store_paths
from kubeforge.isolation.registry import REGISTRY_DB_PODS, SERVER_PODS, SERVER_PORT
from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.managed import gcs
from kubeforge.managed.network import DATABASE_PORT, STORAGE_PORT, database_cidr, identity_endpoints
from kubeforge.monitoring.monitors import APP_PORT_ANNOTATION, MERGED_PORT
from kubeforge.names import KUBE_DNS_PODS
from kubeforge.netpol import Flow, FlowSide, Network, check_flows
from kubeforge.security.allows import PROMETHEUS_PODS, platform_allows
from kubeforge.security.apiserver import api_server_cidrs
from kubeforge.security.declared import ANYWHERE, EVERY_TEAM, Allow, Side
from kubeforge.security.inventory import Inventory
from kubeforge.security.operated import operated_workloads
from kubeforge.security.permissive import uncovered_webhooks
from kubeforge.spec.model import PlatformSpec, Team
from kubeforge.tenancy.kfp import ARTIFACT_PROXY, ARTIFACT_PROXY_PORT

PROBE = {"kubeforge.io/probe": "workload"}
STEP = {gcs.WORKFLOW_POD_LABEL: "kubeforge-probe"}  # a pipeline step as Argo labels it
PROBE_PORT = 8888
CONTROL_PLANE_POD = {"kubeforge.io/probe": "kube-system"}
OUTSIDE = "198.51.100.7"  # TEST-NET-2: a public address standing for "the internet" and external clients
METADATA = "169.254.169.254"
OUTSIDE_CANDIDATES = (OUTSIDE, "203.0.113.7", "192.0.2.7", "8.8.8.8")
RULE_REQUIRED = "reachability/required"
RULE_FORBIDDEN = "reachability/forbidden"
RULE_MISSING = "reachability/missing-service"
RULE_PERMISSIVE = "mesh/permissive-missing"
RULE_SHARED = "reachability/shared-store"


def _deployment(name: str, ns: str, labels: dict[str, str], ports: list[tuple[str, int, str]]) -> KObj:
    container = {"name": "main", "ports": [{"name": n, "containerPort": p, "protocol": proto} for n, p, proto in ports]}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"template": template},
    }


def synthetic_objects(spec: PlatformSpec) -> list[KObj]:
    """Pods a cluster has but the render does not: CoreDNS, a control-plane pod, one probe per team."""
    out = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}},
        _deployment(
            "coredns",
            "kube-system",
            KUBE_DNS_PODS,
            [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")],
        ),
        _deployment("control-plane", "kube-system", CONTROL_PLANE_POD, [("https", 10250, "TCP")]),
    ]
    out += [_deployment("probe", t.name, PROBE, [("http", PROBE_PORT, "TCP")]) for t in spec.teams]
    if _workload_identity(spec):
        out += [_deployment("pipeline-step", t.name, STEP, [("http", PROBE_PORT, "TCP")]) for t in spec.teams]
    return out


def _workload_identity(spec: PlatformSpec) -> bool:
    """A managed object store: a team's pipeline steps get their credentials from the cloud's identity
    endpoint (kubeforge.managed.network.identity_endpoints)."""
    return bool(identity_endpoints(spec)) and spec.enabled("pipelines")


def _address(cidr: str) -> str:
    net = ipaddress.ip_network(cidr)
    return OUTSIDE if net.prefixlen == 0 else str(next(iter(net.hosts()), net.network_address))


def _side(side: Side, team: Team | None) -> FlowSide | None:
    if side.cidrs:
        return FlowSide(ip=_address(side.cidrs[0]))
    if side.namespace == ANYWHERE:
        return FlowSide(ip=OUTSIDE)
    if side.namespace == EVERY_TEAM:
        if team is None or side.namespace_labels:
            return None
        return FlowSide(team.name, side.pods or PROBE)
    return FlowSide(side.namespace, side.pods)


def _allow_flows(a: Allow, team: Team | None, inv: Inventory) -> list[Flow]:
    src, dst = _side(a.src, team), _side(a.dst, team)
    if src is None or dst is None:
        return []
    where = f"{a.name}" + (f"[{team.name}]" if team else "")
    if a.name.startswith("same-namespace-services-"):
        first = inv.pods(a.src.namespace)[0]
        backends = inv.service_backends(a.src.namespace)
        return [
            Flow(f"{where}:{b.port}", FlowSide(first.namespace, first.labels), FlowSide(b.namespace, b.pods), b.port)
            for b in backends
        ]
    ports = a.ports or (("TCP", PROBE_PORT),)
    return [Flow(f"{where}:{port}/{proto}", src, dst, port, protocol=proto) for proto, port in ports]


def _team_allows(allows: list[Allow]) -> list[Allow]:
    return [a for a in allows if EVERY_TEAM in (a.src.namespace, a.dst.namespace)]


def required_flows(spec: PlatformSpec, objects: list[KObj]) -> list[Flow]:
    inv = Inventory(objects)
    allows, _ = platform_allows(spec, inv)
    flows = [
        f for a in allows if EVERY_TEAM not in (a.src.namespace, a.dst.namespace) for f in _allow_flows(a, None, inv)
    ]
    per_team = _team_allows(allows)
    for team in sorted(spec.teams, key=lambda t: t.name):
        probe = FlowSide(team.name, PROBE)
        flows.append(Flow(f"team-intra[{team.name}]", probe, probe, PROBE_PORT))
        flows.append(Flow(f"team-dns[{team.name}]", probe, FlowSide("kube-system", KUBE_DNS_PODS), 53, protocol="UDP"))
        flows.append(Flow(f"team-apiserver[{team.name}]", probe, FlowSide(ip=_address(api_server_cidrs(spec)[0])), 443))
        flows += [
            Flow(f"team-egress[{team.name}]:{c}", probe, FlowSide(ip=_address(c)), 443) for c in team.egress.cidrs
        ]
        if team.egress.internet:
            flows.append(Flow(f"team-internet[{team.name}]", probe, FlowSide(ip=OUTSIDE), 443))
        if spec.data.artifacts.managed and spec.enabled("pipelines"):
            store = FlowSide(ip=_address(spec.data.artifacts.endpoint_cidrs[0]))
            flows.append(Flow(f"team-artifact-store[{team.name}]", probe, store, STORAGE_PORT))
        if _workload_identity(spec):
            step = FlowSide(team.name, STEP)
            flows += [
                Flow(f"team-workload-identity[{team.name}]:{port}", step, FlowSide(ip=_address(cidr)), port)
                for cidr, port in identity_endpoints(spec)
            ]
        flows += [f for a in per_team for f in _allow_flows(a, team, inv)]
    return flows


def _merged_scrape_denials(inv: Inventory) -> list[Flow]:
    """Prometheus scrapes sidecar-injected pods on the merged port only: every other port of theirs
    (the application's own metrics port included) stays closed to it (README, Monitoring, mTLS)."""
    prometheus = FlowSide("monitoring", PROMETHEUS_PODS)
    if not inv.pods("monitoring", PROMETHEUS_PODS):
        return []
    flows: list[Flow] = []
    for o in inv.objects:
        spec = o.get("spec") or {}
        if o.get("kind") != "PodMonitor" or [e.get("portNumber") for e in spec.get("podMetricsEndpoints") or []] != [
            MERGED_PORT
        ]:
            continue
        labels = {str(k): str(v) for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items()}
        names = (spec.get("namespaceSelector") or {}).get("matchNames") or [namespace_of(o)]
        # An application port upstream leaves undeclared (the notebook controller's 8080) is on the monitor.
        app = str((o.get("metadata") or {}).get("annotations", {}).get(APP_PORT_ANNOTATION, ""))
        undeclared = {int(app)} if app.isdigit() else set()
        for ns in sorted({str(n) for n in names}):
            for w in inv.pods(ns, labels) if labels else []:
                for port in sorted((set(w.ports.values()) | undeclared) - {MERGED_PORT}):
                    name = f"prometheus-to-{name_of(o)}:{ns}/{port}"
                    flows.append(Flow(name, prometheus, FlowSide(ns, w.labels), port, expect="deny"))
    return flows


def forbidden_flows(spec: PlatformSpec, objects: list[KObj]) -> list[Flow]:
    teams = sorted(spec.teams, key=lambda t: t.name)
    inv = Inventory(objects)
    flows: list[Flow] = _merged_scrape_denials(inv)
    for i, team in enumerate(teams):
        probe = FlowSide(team.name, PROBE)

        def deny(name: str, dst: FlowSide, port: int, team: Team = team, probe: FlowSide = probe) -> Flow:
            return Flow(f"{name}[{team.name}]", probe, dst, port, expect="deny")

        if len(teams) > 1:
            other = teams[(i + 1) % len(teams)].name
            flows.append(deny(f"team-to-team:{other}", FlowSide(other, PROBE), PROBE_PORT))
            if inv.pods(other, {"app": ARTIFACT_PROXY}):
                flows.append(
                    deny(f"team-to-artifacts:{other}", FlowSide(other, {"app": ARTIFACT_PROXY}), ARTIFACT_PROXY_PORT)
                )
            # Each team's own model registry (its server and its database) is closed to other teams.
            for name, pods, port in (("registry", SERVER_PODS, SERVER_PORT), ("registry-db", REGISTRY_DB_PODS, 3306)):
                if inv.pods(other, pods):
                    flows.append(deny(f"team-to-{name}:{other}", FlowSide(other, pods), port))
        flows.append(deny("team-to-kube-system", FlowSide("kube-system", CONTROL_PLANE_POD), 10250))
        # Platform stores a team never calls directly: the registry (through its UI), SeaweedFS's
        # IAM, master and filer ports (only S3 is theirs).
        for name, pods, port in (
            ("model-registry", {"component": "model-registry-server"}, 8080),
            ("seaweedfs-iam", {"app": "seaweedfs"}, 8111),
            ("seaweedfs-master", {"app": "seaweedfs"}, 9333),
            ("seaweedfs-filer", {"app": "seaweedfs"}, 8888),
        ):
            if inv.pods("kubeflow", pods):
                flows.append(deny(f"team-to-{name}:{port}", FlowSide("kubeflow", pods), port))
        flows.append(deny("team-to-dns-metrics", FlowSide("kube-system", KUBE_DNS_PODS), 9153))
        # Monitoring: Grafana only through the gateway (its auth proxy trusts the gateway's headers);
        # Prometheus and Alertmanager never (their APIs have no per-team access control).
        for name, pods, port in (
            ("grafana", {"app.kubernetes.io/name": "grafana"}, 3000),
            ("prometheus", {"app.kubernetes.io/name": "prometheus"}, 9090),
            ("alertmanager", {"app.kubernetes.io/name": "alertmanager"}, 9093),
        ):
            if inv.pods("monitoring", pods):
                flows.append(deny(f"team-to-{name}:{port}", FlowSide("monitoring", pods), port))
        # The shared stores' databases and ML Metadata's grpc-web proxy: teams reach only the declared
        # port of each shared store (datapaths.SHARED_STORES), never the data behind it.
        for name, ns, pods, port in (
            ("auth:5556", "auth", {"app": "dex"}, 5556),
            ("kubeflow:8082", "kubeflow", {"app": "centraldashboard"}, 8082),
            ("kubeflow:3306", "kubeflow", {"katib.kubeflow.org/component": "mysql"}, 3306),
            ("kfp-mysql:3306", "kubeflow", {"app": "mysql"}, 3306),
            ("metadata-envoy:9090", "kubeflow", {"component": "metadata-envoy"}, 9090),
        ):
            if inv.pods(ns, pods):
                flows.append(deny(f"team-to-{name}", FlowSide(ns, pods), port))
        if spec.data.database.managed:
            # The managed database takes only the platform's users: a team never reaches it.
            flows.append(deny("team-to-database", FlowSide(ip=_address(database_cidr(spec))), DATABASE_PORT))
        # Never skipped: the metadata service is refused with or without internet or an allow-list.
        flows.append(deny("team-to-cloud-metadata", FlowSide(ip=METADATA), 80))
        if not team.egress.internet:
            flows.append(deny("team-to-internet", FlowSide(ip=_outside(team)), 443))
    return flows


def _outside(team: Team) -> str:
    """A public address outside the team's allow-list (the first candidate if the list covers them
    all, so the flow fails and says so rather than being skipped)."""
    nets = [ipaddress.ip_network(c) for c in team.egress.cidrs]
    for candidate in OUTSIDE_CANDIDATES:
        addr = ipaddress.ip_address(candidate)
        if not any(addr.version == n.version and addr in n for n in nets):
            return candidate
    return OUTSIDE_CANDIDATES[0]


def shared_store_findings(spec: PlatformSpec, objects: list[KObj]) -> list[Finding]:
    """Allowed by design and said so on every check (warnings): stores every team reaches (README, Tenancy)."""
    teams = sorted(t.name for t in spec.teams)
    return [
        Finding(RULE_SHARED, "warning", f"/Namespace//{team}", f"{name}: {reason}")
        for team, name, reason in shared_store_paths(objects, teams)
    ]


@contextmanager
def _quiet_gc() -> Iterator[None]:
    # The check allocates millions of short-lived objects over a large, long-lived object graph:
    # cyclic GC passes would rescan that graph again and again (superlinear at 1,000 teams).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reachability_findings(spec: PlatformSpec, objects: list[KObj]) -> list[Finding]:
    """For `kubeforge check`: every required flow allowed, every forbidden flow denied, every
    webhook with a sidecar in PERMISSIVE_PORTS. `objects` is the full render (teams included)."""
    with _quiet_gc():
        return _findings(spec, objects)


def _findings(spec: PlatformSpec, objects: list[KObj]) -> list[Finding]:
    inv = Inventory(objects)
    _, problems = platform_allows(spec, inv)
    findings = [Finding(RULE_MISSING, "error", "", p) for p in problems]
    findings += [Finding(RULE_PERMISSIVE, "error", obj, msg) for obj, msg in uncovered_webhooks(inv)]
    teams = sorted(t.name for t in spec.teams)
    findings += [
        Finding(RULE_FORBIDDEN, "error", f"/Namespace//{name.rsplit('[', 1)[-1].rstrip(']')}", f"{name}: {msg}")
        for name, msg in [*artifact_problems(objects, teams), *registry_problems(objects, teams)]
    ]
    # The pods the Prometheus Operator will create from its custom resources join as their StatefulSets.
    network = Network.from_objects([*objects, *synthetic_objects(spec), *operated_workloads(objects)])
    for rule, flows in (
        (RULE_REQUIRED, required_flows(spec, objects)),
        (RULE_FORBIDDEN, forbidden_flows(spec, objects)),
    ):
        for result in check_flows(network, flows):
            if not result.passed:
                ns = result.flow.dst.namespace or result.flow.src.namespace or ""
                findings.append(Finding(rule, "error", f"/Namespace//{ns}", f"{result.flow.name}: {result.message}"))
    return sorted(findings)


__all__ = [
    "PROBE",
    "forbidden_flows",
    "reachability_findings",
    "required_flows",
    "shared_store_findings",
    "synthetic_objects",
]
