"""Names every layer agrees on: labels, annotations, platform namespaces, principals (a leaf: imports nothing)."""

from __future__ import annotations

PLATFORM_NAMESPACES = (
    "auth",
    "cert-manager",
    "gpu-operator",
    "istio-system",
    "knative-serving",
    "kubeflow",
    "kubeflow-system",
    "monitoring",
    "oauth2-proxy",
)
# Namespaces Kubernetes itself owns; a team there would share them with the control plane.
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")

# The components kubeforge authors itself (beside upstream's): platform security and the teams.
SECURITY_COMPONENT = "security"
TEAMS_COMPONENT = "teams"

COMPONENT_LABEL = "app.kubernetes.io/component"
PART_OF_LABEL = "app.kubernetes.io/part-of"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
# Which kubeforge component rendered an object, and that component's upstream version.
KUBEFORGE_COMPONENT_LABEL = "kubeforge.io/component"
COMPONENT_VERSION_LABEL = "kubeforge.io/component-version"
TEAM_LABEL = "kubeforge.io/team"
# Namespaces with this label set to "enabled" may scrape platform metrics ports.
MONITORING_LABEL = "kubeforge.io/monitoring"
# Upstream's NetworkPolicies (ml-pipeline, seaweedfs) admit namespaces carrying this label.
PROFILE_LABEL = PART_OF_LABEL
PROFILE_VALUE = "kubeflow-profile"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

# A Secret whose values are generated per install: `key=value-id[/bcrypt],...` (kubeforge.secrets).
GENERATED_SECRET_ANNOTATION = "kubeforge.io/generated-secret"
# A ConfigMap or Secret whose keys the stack fills with values only it knows (a managed database's host):
# `key=value-id,...`; the rendered value is STACK_VALUE_PLACEHOLDER + value id (kubeforge.managed).
STACK_VALUE_ANNOTATION = "kubeforge.io/stack-value"
STACK_VALUE_PLACEHOLDER = "kubeforge-stack-fills:"
# A Secret the apply stage fills (each team's artifact-store credentials), and with what.
FILL_ANNOTATION = "kubeforge.io/fill"
# A Secret holding configuration only (its credentials are files from other Secrets), and why: KF008 admits it.
CONFIG_ONLY_ANNOTATION = "kubeforge.io/config-only"
# The sidecar's (requests|limits, cpu|memory) as Istio's injector reads them from a pod template.
SIDECAR_ANNOTATIONS = {
    ("requests", "cpu"): "sidecar.istio.io/proxyCPU",
    ("requests", "memory"): "sidecar.istio.io/proxyMemory",
    ("limits", "cpu"): "sidecar.istio.io/proxyCPULimit",
    ("limits", "memory"): "sidecar.istio.io/proxyMemoryLimit",
}
# On a team's ResourceQuota: what kubeforge's own pods and volumes there add on top of the spec's quota.
PLATFORM_SHARE_ANNOTATION = "kubeforge.io/platform-share"
# Why an object (a PERMISSIVE exception) exists.
REASON_ANNOTATION = "kubeforge.io/reason"
# A team Namespace's address allow-list, read by the admission baseline (no team role writes Namespaces).
CIDRS_ANNOTATION = "kubeforge.io/egress-cidrs"  # comma-separated: allow-list, API server, internet
EXCEPT_ANNOTATION = "kubeforge.io/internet-except"  # ranges an internet rule must keep excluded

USERID_HEADER = "kubeflow-userid"
DEX_ISSUER = "http://dex.auth.svc.cluster.local:5556/dex"
DEX_JWKS = "http://dex.auth.svc.cluster.local:5556/dex/keys"
# Dex serves /metrics only on its telemetry listener (config `telemetry.http`), set with monitoring on.
DEX_TELEMETRY_PORT = 5558


def principal(namespace: str, service_account: str) -> str:
    return f"cluster.local/ns/{namespace}/sa/{service_account}"


INGRESS_GATEWAY_SA = principal("istio-system", "istio-ingressgateway-service-account")
KFP_UI_SA = principal("kubeflow", "ml-pipeline-ui")
KFP_API_SA = principal("kubeflow", "ml-pipeline")
NOTEBOOK_CONTROLLER_SA = principal("kubeflow", "notebook-controller-service-account")

# Pod labels of platform workloads that talk to or are reached from team namespaces.
INGRESS_GATEWAY_PODS = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
LOCAL_GATEWAY_PODS = {"istio": "cluster-local-gateway"}
# One model registry per team (kubeforge.isolation.registry), called by the shared UI in `kubeflow`.
REGISTRY_SERVER_PODS = {"component": "model-registry-server"}
REGISTRY_UI_PODS = {"app": "model-registry-ui"}
REGISTRY_PORT = 8080
ISTIOD_PODS = {"app": "istiod"}
KUBE_DNS_PODS = {"k8s-app": "kube-dns"}


def reserved_namespace(name: str) -> bool:
    """A team may not take a namespace the platform or Kubernetes owns."""
    return name in PLATFORM_NAMESPACES or name in SYSTEM_NAMESPACES or name.startswith("kube-")
