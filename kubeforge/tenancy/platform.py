"""Names every tenancy and security module agrees on: platform namespaces, labels, principals."""

from __future__ import annotations

from kubeforge.k8s import KObj

PLATFORM_NAMESPACES = (
    "auth",
    "cert-manager",
    "istio-system",
    "knative-serving",
    "kubeflow",
    "kubeflow-system",
    "oauth2-proxy",
)
# Namespaces Kubernetes itself owns; a team there would share them with the control plane.
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")

COMPONENT = "app.kubernetes.io/component"
TEAM_LABEL = "kubeforge.io/team"
# Upstream's NetworkPolicies (ml-pipeline, seaweedfs) admit namespaces carrying this label.
PROFILE_LABEL = "app.kubernetes.io/part-of"
PROFILE_VALUE = "kubeflow-profile"
NAMESPACE_NAME = "kubernetes.io/metadata.name"
# A team Namespace's address allow-list, read by the admission baseline (no team role writes Namespaces).
CIDRS_ANNOTATION = "kubeforge.io/egress-cidrs"  # comma-separated: allow-list, API server, internet
EXCEPT_ANNOTATION = "kubeforge.io/internet-except"  # ranges an internet rule must keep excluded

USERID_HEADER = "kubeflow-userid"
DEX_ISSUER = "http://dex.auth.svc.cluster.local:5556/dex"
DEX_JWKS = "http://dex.auth.svc.cluster.local:5556/dex/keys"


def principal(namespace: str, service_account: str) -> str:
    return f"cluster.local/ns/{namespace}/sa/{service_account}"


INGRESS_GATEWAY_SA = principal("istio-system", "istio-ingressgateway-service-account")
KFP_UI_SA = principal("kubeflow", "ml-pipeline-ui")
KFP_API_SA = principal("kubeflow", "ml-pipeline")
NOTEBOOK_CONTROLLER_SA = principal("kubeflow", "notebook-controller-service-account")

# Pod labels of platform workloads that talk to or are reached from team namespaces.
INGRESS_GATEWAY_PODS = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
LOCAL_GATEWAY_PODS = {"istio": "cluster-local-gateway"}
ISTIOD_PODS = {"app": "istiod"}
KUBE_DNS_PODS = {"k8s-app": "kube-dns"}


def reserved_namespace(name: str) -> bool:
    """A team may not take a namespace the platform or Kubernetes owns."""
    return name in PLATFORM_NAMESPACES or name in SYSTEM_NAMESPACES or name.startswith("kube-")


def meta(name: str, namespace: str | None, component: str, labels: dict[str, str] | None = None) -> dict[str, object]:
    out: dict[str, object] = {"name": name}
    if namespace is not None:
        out["namespace"] = namespace
    out["labels"] = {COMPONENT: component, **(labels or {})}
    return out


def obj(api_version: str, kind: str, metadata: dict[str, object], **rest: object) -> KObj:
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **rest}


def ns_peer(namespace: str, pods: dict[str, str] | None = None) -> dict[str, object]:
    """A NetworkPolicy peer: pods (or all pods) of one namespace, by its name label."""
    peer: dict[str, object] = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME: namespace}}}
    peer["podSelector"] = {"matchLabels": dict(pods)} if pods else {}
    return peer


TEAM_NAMESPACES_PEER: dict[str, object] = {
    "namespaceSelector": {"matchExpressions": [{"key": TEAM_LABEL, "operator": "Exists"}]}
}
