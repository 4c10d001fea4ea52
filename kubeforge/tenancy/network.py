"""A team's NetworkPolicies: deny by default, then exactly what a team namespace needs."""

from __future__ import annotations

from kubeforge.k8s import KObj, meta, obj
from kubeforge.managed import gcs
from kubeforge.managed.network import STORAGE_PORT, identity_endpoints
from kubeforge.names import (
    INGRESS_GATEWAY_PODS,
    ISTIOD_PODS,
    KUBE_DNS_PODS,
    LOCAL_GATEWAY_PODS,
    NAMESPACE_NAME_LABEL,
    REGISTRY_PORT,
    REGISTRY_SERVER_PODS,
    REGISTRY_UI_PODS,
    TEAMS_COMPONENT,
)
from kubeforge.security.apiserver import api_server_egress
from kubeforge.spec.model import PlatformSpec, Team
from kubeforge.tenancy.objectstore import ObjectStore

# Not the cluster: private (RFC 1918, CGNAT, ULA) and link-local (cloud metadata at 169.254.169.254).
NON_INTERNET_V4 = ("10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")
NON_INTERNET_V6 = ("fc00::/7", "fe80::/10")
# What the cluster-local gateway and Knative reach in a team: queue-proxy's serving ports (8012 HTTP/1,
# 8013 HTTP/2) and, for the autoscaler, its metrics and admin ports; never /metrics of other servers.
QUEUE_PROXY_PORTS = (8012, 8013)
KNATIVE_INTO_TEAMS = {"activator": QUEUE_PROXY_PORTS, "autoscaler": (9090, 9091, 8022)}
# Platform pods in `kubeflow` that call into team namespaces: artifact proxy, visualizations, culling.
KUBEFLOW_CALLERS = ("ml-pipeline", "ml-pipeline-ui", "notebook-controller")


def ns_peer(namespace: str, pods: dict[str, str] | None = None) -> dict[str, object]:
    """A NetworkPolicy peer: pods (or all pods) of one namespace, by its name label."""
    peer: dict[str, object] = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}}}
    peer["podSelector"] = {"matchLabels": dict(pods)} if pods else {}
    return peer


def _tcp(*ports: int) -> list[dict[str, object]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def platform_services(
    spec: PlatformSpec, pipelines: bool, store: ObjectStore | None
) -> list[tuple[str, dict[str, str], tuple[int, ...]]]:
    """(component, pod labels in `kubeflow`, container ports) team pods may call, per rendered component.
    KFP's (`pipelines`): its API, its metadata service and the S3 port of its in-cluster object store."""
    out: list[tuple[str, dict[str, str], tuple[int, ...]]] = []
    if pipelines:
        out += [
            ("pipelines", {"app": "ml-pipeline"}, (8887, 8888)),
            ("pipelines", {"component": "metadata-grpc-server"}, (8080,)),
        ]
        if store is not None:  # else a managed store, reached by address (below)
            out.append(("pipelines", _store_pods(store), (store.pod_port,)))
    # Not the model registry: each team has its own, in its namespace.
    if spec.enabled("katib"):
        out.append(("katib", {"katib.kubeflow.org/component": "db-manager"}, (6789,)))
    return out


def _store_pods(store: ObjectStore) -> dict[str, str]:
    # `app` alone where the Service selects on it (as every KFP store does): kustomize's labels
    # transformer adds its component-wide labels to the selector too, and they select nothing more.
    return {"app": store.pods["app"]} if "app" in store.pods else dict(store.pods)


def _policy(team: Team, name: str, spec: dict[str, object]) -> KObj:
    return obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        meta(name, team.name, TEAMS_COMPONENT),
        spec={"podSelector": {}, **spec},
    )


def workload_identity_policies(spec: PlatformSpec, team: Team) -> list[KObj]:
    """A managed object store: pipeline steps and the artifact proxy fetch their cloud credentials (EKS
    Pod Identity agent, GKE metadata server); every other pod of the team (notebooks) stays off them."""
    egress = [{"to": [{"ipBlock": {"cidr": c}}], "ports": _tcp(p)} for c, p in identity_endpoints(spec)]
    steps = {"matchExpressions": [{"key": gcs.WORKFLOW_POD_LABEL, "operator": "Exists"}]}
    proxy = {"matchLabels": {"app": gcs.ARTIFACT_PROXY}}
    return [
        _policy(team, name, {"podSelector": pods, "policyTypes": ["Egress"], "egress": egress})
        for name, pods in (("allow-workload-identity-steps", steps), ("allow-workload-identity-proxy", proxy))
    ]


def egress_rules(team: Team) -> list[dict[str, object]]:
    rules: list[dict[str, object]] = [{"to": [{"ipBlock": {"cidr": c}}]} for c in team.egress.cidrs]
    if team.egress.internet:
        rules.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_INTERNET_V4)}}]})
        rules.append({"to": [{"ipBlock": {"cidr": "::/0", "except": list(NON_INTERNET_V6)}}]})
    return rules


def network_policies(spec: PlatformSpec, team: Team, pipelines: bool, store: ObjectStore | None) -> list[KObj]:
    dns = {"to": [ns_peer("kube-system", KUBE_DNS_PODS)], "ports": [{"protocol": "UDP", "port": 53}, *_tcp(53)]}
    kubeflow_callers = {
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: "kubeflow"}},
        "podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": list(KUBEFLOW_CALLERS)}]},
    }
    katib_controller = ns_peer("kubeflow", {"katib.kubeflow.org/component": "controller"})
    knative = [
        {"from": [ns_peer("knative-serving", {"app": app})], "ports": _tcp(*ports)}
        for app, ports in KNATIVE_INTO_TEAMS.items()
    ]
    services = [
        {"to": [ns_peer("kubeflow", pods)], "ports": _tcp(*ports)}
        for _, pods, ports in platform_services(spec, pipelines, store)
    ]
    if pipelines and store is None:
        # The object store's API, by address: pipeline steps and the artifact proxy, on 443 only.
        storage: list[dict[str, object]] = [{"ipBlock": {"cidr": c}} for c in spec.data.artifacts.endpoint_cidrs]
        services.append({"to": storage, "ports": _tcp(STORAGE_PORT)})
    # Calls to cluster-local inference services go through the cluster-local gateway.
    local_gateway = (
        [{"to": [ns_peer("istio-system", LOCAL_GATEWAY_PODS)], "ports": _tcp(8080, 8081, 8444)}]
        if spec.enabled("knative")
        else []
    )
    # Prometheus scrapes the sidecars' merged metrics (InferenceServices: queue-proxy's and Envoy's).
    prometheus = (
        [{"from": [ns_peer("monitoring", {"app.kubernetes.io/name": "prometheus"})], "ports": _tcp(15020)}]
        if spec.enabled("monitoring")
        else []
    )
    policies = [
        _policy(team, "default-deny", {"policyTypes": ["Ingress", "Egress"]}),
        _policy(
            team,
            "allow-same-namespace",
            {
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            },
        ),
        _policy(team, "allow-dns", {"policyTypes": ["Egress"], "egress": [dns]}),
        _policy(
            team,
            "allow-platform-ingress",
            {
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [ns_peer("istio-system", INGRESS_GATEWAY_PODS)]},
                    {"from": [ns_peer("istio-system", LOCAL_GATEWAY_PODS)], "ports": _tcp(*QUEUE_PROXY_PORTS)},
                    *knative,
                    {"from": [kubeflow_callers, katib_controller]},
                    *prometheus,
                ],
            },
        ),
        _policy(
            team,
            "allow-platform-egress",
            {
                "policyTypes": ["Egress"],
                "egress": [
                    # Sidecars fetch config and certificates from istiod (xDS + CA on 15012).
                    {"to": [ns_peer("istio-system", ISTIOD_PODS)], "ports": _tcp(15012)},
                    api_server_egress(spec),
                    *services,
                    *local_gateway,
                ],
            },
        ),
    ]
    if spec.enabled("model-registry"):
        registry: dict[str, object] = {
            "podSelector": {"matchLabels": dict(REGISTRY_SERVER_PODS)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [ns_peer("kubeflow", REGISTRY_UI_PODS)], "ports": _tcp(REGISTRY_PORT)}],
        }
        policies.append(_policy(team, "allow-model-registry-ui", registry))
    if pipelines and store is None and identity_endpoints(spec):
        policies += workload_identity_policies(spec, team)
    extra = egress_rules(team)
    if extra:
        policies.append(_policy(team, "allow-egress-list", {"policyTypes": ["Egress"], "egress": extra}))
    return policies
