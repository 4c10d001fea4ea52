"""The flows the platform needs that no rendered object states, as data: which pods of which
component reach which Service (COMPONENT_FLOWS) or open connections into team namespaces
(INTO_TEAMS). `allows` turns these, and what it derives from the render, into `Allow`s."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubeforge.names import (
    INGRESS_GATEWAY_PODS,
    ISTIOD_PODS,
    LOCAL_GATEWAY_PODS,
    REGISTRY_PORT,
    REGISTRY_SERVER_PODS,
    REGISTRY_UI_PODS,
)

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
    in_cluster_store: bool = False  # only while SeaweedFS serves the artifacts (not data.artifacts managed)


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
        "the KFP launcher records ML metadata (shared: ML Metadata has no per-namespace access control)",
        TEAM_PODS,
        ("kubeflow", "metadata-grpc-service"),
        (8080,),
    ),
    ServiceFlow(
        "teams-kfp-artifacts",
        "pipelines",
        "steps read and write artifacts (each team's own key, limited to its prefixes)",
        TEAM_PODS,
        ("kubeflow", "seaweedfs"),
        (8333,),
        in_cluster_store=True,
    ),
    ServiceFlow(
        "teams-katib-db",
        "katib",
        "trial metrics collectors report to the Katib DB manager (shared: it has no per-namespace access control)",
        TEAM_PODS,
        ("kubeflow", "katib-db-manager"),
        (6789,),
    ),
    ServiceFlow(
        "grafana-prometheus",
        "monitoring",
        "Grafana's data source queries Prometheus",
        Side("monitoring", {"app.kubernetes.io/name": "grafana"}),
        ("monitoring", "prometheus-k8s"),
        (9090,),
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


@dataclass(frozen=True)
class IntoTeams:
    """Declared: platform pods `src` open connections into every team namespace on `ports` (empty: all)."""

    name: str
    component: str
    reason: str
    src: Side
    ports: Ports = ()
    pods: dict[str, str] | None = field(default=None, hash=False)  # the team pods it reaches (None: all)


INTO_TEAMS: tuple[IntoTeams, ...] = (
    IntoTeams("gateway-teams", "istio", "notebooks, tensorboards and inference services behind the gateway", GATEWAY),
    IntoTeams(
        "local-gateway-teams",
        "knative",
        "cluster-local inference traffic (queue-proxy)",
        LOCAL_GATEWAY,
        tcp(8012, 8013),
    ),
    IntoTeams(
        "activator-teams",
        "knative",
        "the activator proxies to queue-proxy",
        Side("knative-serving", {"app": "activator"}),
        tcp(8012, 8013),
    ),
    IntoTeams(
        "autoscaler-teams",
        "knative",
        "the autoscaler scrapes queue-proxy",
        Side("knative-serving", {"app": "autoscaler"}),
        tcp(9090, 9091, 8022),
    ),
    IntoTeams(
        "kfp-ui-teams",
        "pipelines",
        "artifact proxy and visualizations",
        Side("kubeflow", {"app": "ml-pipeline-ui"}),
        tcp(3000, 8888),
    ),
    IntoTeams(
        "kfp-api-teams",
        "pipelines",
        "the KFP API renders visualizations",
        Side("kubeflow", {"app": "ml-pipeline"}),
        tcp(8888),
    ),
    IntoTeams(
        "model-registry-ui-teams",
        "model-registry",
        "the registry UI calls each team's own registry, after checking the user's access",
        Side("kubeflow", REGISTRY_UI_PODS),
        tcp(REGISTRY_PORT),
        REGISTRY_SERVER_PODS,
    ),
    IntoTeams(
        "notebook-culler-teams",
        "notebooks",
        "the culler polls kernels",
        Side("kubeflow", {"app": "notebook-controller"}),
        tcp(8888),
    ),
    IntoTeams(
        "katib-suggestions-teams",
        "katib",
        "the controller calls suggestion services",
        Side("kubeflow", {"katib.kubeflow.org/component": "controller"}),
        tcp(6789, 6788),
    ),
)
