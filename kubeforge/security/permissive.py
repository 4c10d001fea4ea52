"""The one list of ports that stay PERMISSIVE under the mesh-wide STRICT mTLS, each with its reason.

A port belongs here only when its server has an Istio sidecar and some client that must reach it
has none: the API server calling a webhook, or KFP's pipeline pods (KFP turns injection off for
workflow pods). `uncovered_webhooks` (run by `kubeforge check`) finds any the list misses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubeforge.k8s import KObj, ident, meta, namespace_of, obj, pod_template_metadata, selects
from kubeforge.names import REASON_ANNOTATION, SECURITY_COMPONENT
from kubeforge.security.inventory import Inventory


@dataclass(frozen=True)
class PermissivePort:
    name: str
    namespace: str
    pods: dict[str, str] = field(hash=False)
    port: int  # the container port: portLevelMtls matches the workload's port
    reason: str
    component: str


_API_SERVER = "the API server (no sidecar) calls this admission/conversion webhook"
_KFP_PODS = "KFP pipeline pods run without a sidecar (KFP disables injection for workflow pods)"

PERMISSIVE_PORTS: tuple[PermissivePort, ...] = (
    PermissivePort(
        "knative-webhook", "knative-serving", {"app": "webhook", "role": "webhook"}, 8443, _API_SERVER, "knative"
    ),
    PermissivePort(
        "knative-net-istio-webhook", "knative-serving", {"app": "net-istio-webhook"}, 8443, _API_SERVER, "knative"
    ),
    PermissivePort("kfp-cache-webhook", "kubeflow", {"app": "cache-server"}, 8443, _API_SERVER, "pipelines"),
    PermissivePort(
        "llmisvc-webhook", "kubeflow", {"control-plane": "llmisvc-controller-manager"}, 9443, _API_SERVER, "kserve"
    ),
    PermissivePort(
        "pvcviewer-webhook",
        "kubeflow",
        {"app": "pvcviewer", "control-plane": "controller-manager"},
        9443,
        _API_SERVER,
        "pvc-viewer",
    ),
    PermissivePort(
        "jobset-lws-webhook", "kubeflow-system", {"control-plane": "controller-manager"}, 9443, _API_SERVER, "trainer"
    ),
    PermissivePort(
        "trainer-webhook", "kubeflow-system", {"app.kubernetes.io/component": "manager"}, 9443, _API_SERVER, "trainer"
    ),
    PermissivePort(
        "dex-jwks",
        "auth",
        {"app": "dex"},
        5556,
        "istiod (no sidecar) fetches Dex's public signing keys for RequestAuthentication; Dex's "
        "AuthorizationPolicy admits plain-text callers only to GET /dex/keys",
        "dex",
    ),
    PermissivePort(
        "kfp-api-grpc",
        "kubeflow",
        {"app": "ml-pipeline"},
        8887,
        f"{_KFP_PODS}: driver and launcher call the KFP API",
        "pipelines",
    ),
    PermissivePort(
        "kfp-api-http",
        "kubeflow",
        {"app": "ml-pipeline"},
        8888,
        f"{_KFP_PODS}: SDK calls from steps reach the KFP API over HTTP",
        "pipelines",
    ),
    PermissivePort(
        "kfp-metadata-grpc",
        "kubeflow",
        {"component": "metadata-grpc-server"},
        8080,
        f"{_KFP_PODS}: the launcher records ML metadata",
        "pipelines",
    ),
    PermissivePort(
        "kfp-artifacts-s3",
        "kubeflow",
        {"app": "seaweedfs"},
        8333,
        f"{_KFP_PODS}: steps read and write artifacts",
        "pipelines",
    ),
)


def permissive_objects(objects: list[KObj], pods_by_ns: dict[str, list[dict[str, str]]]) -> list[KObj]:
    """A workload-scoped PeerAuthentication per entry whose workload is rendered (STRICT elsewhere)."""
    out = []
    for entry in PERMISSIVE_PORTS:
        if not any(selects(entry.pods, labels) for labels in pods_by_ns.get(entry.namespace, [])):
            continue  # component disabled: nothing to exempt
        spec = {
            "selector": {"matchLabels": dict(entry.pods)},
            "mtls": {"mode": "STRICT"},
            "portLevelMtls": {str(entry.port): {"mode": "PERMISSIVE"}},
        }
        md = meta(f"permissive-{entry.name}", entry.namespace, SECURITY_COMPONENT)
        md["annotations"] = {REASON_ANNOTATION: entry.reason}
        out.append(obj("security.istio.io/v1", "PeerAuthentication", md, spec=spec))
    return out


def mesh_strict() -> KObj:
    """Mesh-wide STRICT: a PeerAuthentication named default in the root namespace."""
    return obj(
        "security.istio.io/v1",
        "PeerAuthentication",
        meta("default", "istio-system", SECURITY_COMPONENT),
        spec={"mtls": {"mode": "STRICT"}},
    )


def _sidecar(namespace_labels: dict[str, str], pod_labels: dict[str, str], annotations: dict[str, str]) -> bool:
    """Whether Istio injects a sidecar: the pod's label (or legacy annotation) wins over the namespace."""
    value = pod_labels.get("sidecar.istio.io/inject", annotations.get("sidecar.istio.io/inject"))
    if namespace_labels.get("istio-injection") == "disabled":
        return False
    if value is not None:
        return value == "true"
    return namespace_labels.get("istio-injection") == "enabled"


def uncovered_webhooks(inv: Inventory) -> list[tuple[str, str]]:
    """(object, message) for each webhook backend with a sidecar whose port PERMISSIVE_PORTS misses."""
    out = []
    for ns, name, port in inv.webhook_services():
        backend = inv.backend(ns, name, port)
        if backend is None:
            continue
        for src in inv.objects:
            if src.get("kind") not in ("Deployment", "StatefulSet", "DaemonSet") or namespace_of(src) != ns:
                continue
            tmeta = pod_template_metadata(src)
            labels = {str(k): str(v) for k, v in (tmeta.get("labels") or {}).items()}
            if not selects(backend.pods, labels):
                continue
            if not _sidecar(inv.namespaces.get(ns, {}), labels, dict(tmeta.get("annotations") or {})):
                continue
            covered = any(
                e.namespace == ns and e.port == backend.port and selects(e.pods, labels) for e in PERMISSIVE_PORTS
            )
            if not covered:
                out.append(
                    (
                        ident(src),
                        f"webhook {ns}/{name} reaches port {backend.port} through a sidecar under STRICT mTLS; add it to PERMISSIVE_PORTS",
                    )
                )
    return sorted(out)
