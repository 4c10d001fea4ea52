"""Monitors for the platform's own components, from the rendered pods: one PodMonitor per target.

How each is scraped depends on whether its pods carry an Istio sidecar (namespace injection on and not
opted out): without one, Prometheus scrapes the named metrics port as it is; with one, STRICT mTLS refuses a
plain-text scrape, so kubeforge uses Istio's metrics merging: the pod is annotated `prometheus.io/*` with
the application's port and path, the injector hands them to the sidecar's agent, and the agent serves the
application's and Envoy's metrics together on port 15020 (`/stats/prometheus`), which the sidecar does not
intercept. InferenceService pods in team namespaces get the same through KServe's metric aggregation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubeforge.k8s import KObj, labels_of, meta, name_of, namespace_of, obj, pod_spec, pod_template_metadata, selects
from kubeforge.monitoring.names import COMPONENT, NAMESPACE
from kubeforge.names import REGISTRY_SERVER_PODS
from kubeforge.security.scrapes import USER_WORKLOADS_LABEL
from kubeforge.spec.model import PlatformSpec

MERGED_PORT = 15020  # the sidecar agent's merged metrics (Istio's enablePrometheusMerge, on by default)
MERGED_PATH = "/stats/prometheus"
APP_PORT_ANNOTATION = "kubeforge.io/merged-app-port"  # on a merged PodMonitor: the app's named port behind it
INFERENCE_SERVICE_LABEL = "serving.kserve.io/inferenceservice"


@dataclass(frozen=True)
class Target:
    """Pods of a component that serve metrics on a named container port (or a Service's target port)."""

    component: str
    name: str
    namespace: str
    pods: dict[str, str] = field(hash=False)
    port: str | int  # the container port's name, or its number where upstream names none
    path: str = "/metrics"


TARGETS: tuple[Target, ...] = (
    Target("istio", "istiod", "istio-system", {"app": "istiod"}, "http-monitoring"),
    # Gateways are Envoy itself: its Prometheus stats port (no sidecar).
    Target(
        "istio", "istio-ingressgateway", "istio-system", {"istio": "ingressgateway"}, "http-envoy-prom", MERGED_PATH
    ),
    Target(
        "istio",
        "cluster-local-gateway",
        "istio-system",
        {"istio": "cluster-local-gateway"},
        "http-envoy-prom",
        MERGED_PATH,
    ),
    *(
        Target("knative", f"knative-{app}", "knative-serving", {"app": app}, "metrics")
        for app in ("activator", "autoscaler", "controller", "webhook", "net-istio-controller", "net-istio-webhook")
    ),
    Target("katib", "katib-controller", "kubeflow", {"katib.kubeflow.org/component": "controller"}, "metrics"),
    # Trainer's manager serves controller-runtime metrics on 8080 (its Service's monitoring-port) without naming it.
    Target(
        "trainer",
        "kubeflow-trainer-controller-manager",
        "kubeflow-system",
        {"app.kubernetes.io/component": "manager"},
        8080,
    ),
    Target(
        "cert-manager", "cert-manager", "cert-manager", {"app.kubernetes.io/instance": "cert-manager"}, "http-metrics"
    ),
    Target("oauth2-proxy", "oauth2-proxy", "oauth2-proxy", {"app.kubernetes.io/name": "oauth2-proxy"}, "metrics"),
    Target("spark", "spark-operator", "kubeflow", {"app.kubernetes.io/name": "spark-operator"}, "metrics"),
    # KFP's API server serves /metrics on its HTTP port (backend/src/apiserver/main.go, `topMux.Handle("/metrics")`).
    Target("pipelines", "ml-pipeline", "kubeflow", {"app": "ml-pipeline"}, "http"),
    # The notebook controller's manager: controller-runtime's /metrics on :8080 (its -metrics-addr default;
    # upstream's kubeflow overlay keeps it and declares no container port for it).
    Target("notebooks", "notebook-controller", "kubeflow", {"app": "notebook-controller"}, 8080),
    # Dex: its telemetry listener, which kubeforge configures with monitoring on (kubeforge.identity.dex).
    Target("dex", "dex", "auth", {"app": "dex"}, "telemetry"),
)
PROMETHEUS_ACCOUNT = "prometheus-k8s"  # kube-prometheus's Prometheus service account
# What kube-prometheus's per-namespace `prometheus-k8s` Role grants: service discovery of pods and Services.
DISCOVERY_RULES = (
    {"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
)


def meshed(workload: KObj, injection: dict[str, bool]) -> bool:
    """Whether Istio injects a sidecar into the workload's pods (its namespace's label, the pod's own word)."""
    md = pod_template_metadata(workload)
    own = {**(md.get("annotations") or {}), **(md.get("labels") or {})}.get("sidecar.istio.io/inject")
    if own is not None:
        return str(own) == "true"
    return injection.get(namespace_of(workload) or "", False)


def _container_port(workload: KObj, port: str | int) -> int | None:
    if isinstance(port, int):
        return port
    for c in (pod_spec(workload) or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == port:
                return int(p["containerPort"])
    return None


def _pod_monitor(name: str, namespace: str, selector: dict[str, Any], endpoint: dict[str, Any]) -> KObj:
    md = meta(name, namespace, COMPONENT)
    spec = {"selector": selector, "podMetricsEndpoints": [endpoint], "namespaceSelector": {"matchNames": [namespace]}}
    return obj("monitoring.coreos.com/v1", "PodMonitor", md, spec=spec)


def _merge(workload: KObj, port: int, path: str) -> None:
    """Hand the app's port and path to Istio's injector, which moves them to the sidecar's merged endpoint."""
    template = workload["spec"]["template"]
    annotations = template.setdefault("metadata", {}).setdefault("annotations", {})
    annotations.update({"prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": path})


def component_monitors(spec: PlatformSpec, objects: list[KObj]) -> list[KObj]:
    """PodMonitors for every target the render has; meshed targets' workloads are annotated in place."""
    injection = {
        name_of(o): labels_of(o).get("istio-injection") == "enabled" for o in objects if o.get("kind") == "Namespace"
    }
    out = []
    for t in TARGETS:
        workloads = [
            o
            for o in objects
            if pod_spec(o) is not None and namespace_of(o) == t.namespace and selects(t.pods, _labels(o))
        ]
        if not workloads:
            continue
        selector = {"matchLabels": dict(t.pods)}
        if any(meshed(w, injection) for w in workloads):
            for w in workloads:
                number = _container_port(w, t.port)
                if number is not None:
                    _merge(w, number, t.path)
            endpoint = {"portNumber": MERGED_PORT, "path": MERGED_PATH}
            monitor = _pod_monitor(t.name, t.namespace, selector, endpoint)
            monitor["metadata"]["annotations"] = {APP_PORT_ANNOTATION: str(t.port)}
        else:
            endpoint = (
                {"port": t.port, "path": t.path} if isinstance(t.port, str) else {"portNumber": t.port, "path": t.path}
            )
            monitor = _pod_monitor(t.name, t.namespace, selector, endpoint)
        out.append(monitor)
    kserve = any(o.get("kind") == "ConfigMap" and name_of(o) == "inferenceservice-config" for o in objects)
    if kserve and spec.teams:
        aggregate_inference_metrics(objects)
        out.append(_inference_services(spec))
    registries = sorted(
        {
            namespace_of(o) or ""
            for o in objects
            if pod_spec(o) is not None and selects(REGISTRY_SERVER_PODS, _labels(o))
        }
    )
    if registries:
        # With teams, each gets its own server and the shared one goes (kubeforge.isolation.registry.per_team,
        # later in the render): the monitor looks in the teams' namespaces.
        out.append(_model_registries(sorted(t.name for t in spec.teams) if spec.teams else registries))
    return [*out, *discovery_roles([*objects, *out])]


def _model_registries(namespaces: list[str]) -> KObj:
    """Every team's own model registry server (kubeforge.isolation.registry): the server serves no metrics
    of its own (model-registry's `proxy` command registers no /metrics handler), so Prometheus scrapes its
    sidecar's Envoy statistics (istio_requests_total per registry) on the merged port; one monitor in
    `monitoring` lists the teams' namespaces, as the InferenceServices' does."""
    endpoint = {"portNumber": MERGED_PORT, "path": MERGED_PATH}
    monitor = _pod_monitor("model-registries", NAMESPACE, {"matchLabels": dict(REGISTRY_SERVER_PODS)}, endpoint)
    monitor["spec"]["namespaceSelector"] = {"matchNames": namespaces}
    return monitor


def _monitored_namespaces(monitor: KObj) -> list[str]:
    selector = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    return [str(n) for n in selector.get("matchNames") or []] or [namespace_of(monitor) or "default"]


def discovery_roles(objects: list[KObj]) -> list[KObj]:
    """A `prometheus-k8s` Role and RoleBinding in every namespace a monitor looks in that kube-prometheus
    does not already grant (it grants default, kube-system and monitoring): without them Prometheus cannot
    list the pods it is told to scrape (kube-prometheus's documented way to add namespaces)."""
    granted = {
        namespace_of(o)
        for o in objects
        if o.get("kind") == "RoleBinding"
        and any(
            s.get("kind") == "ServiceAccount"
            and s.get("name") == PROMETHEUS_ACCOUNT
            and s.get("namespace") == NAMESPACE
            for s in o.get("subjects") or []
        )
    }
    wanted = {
        ns
        for o in objects
        if o.get("kind") in ("PodMonitor", "ServiceMonitor")
        and not ((o.get("spec") or {}).get("namespaceSelector") or {}).get("any")
        for ns in _monitored_namespaces(o)
    }
    out: list[KObj] = []
    for ns in sorted(wanted - granted):
        out.append(
            obj(
                "rbac.authorization.k8s.io/v1",
                "Role",
                meta(PROMETHEUS_ACCOUNT, ns, COMPONENT),
                rules=list(DISCOVERY_RULES),
            )
        )
        subject = {"kind": "ServiceAccount", "name": PROMETHEUS_ACCOUNT, "namespace": NAMESPACE}
        ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": PROMETHEUS_ACCOUNT}
        md = meta(PROMETHEUS_ACCOUNT, ns, COMPONENT)
        out.append(obj("rbac.authorization.k8s.io/v1", "RoleBinding", md, roleRef=ref, subjects=[subject]))
    return out


def _inference_services(spec: PlatformSpec) -> KObj:
    """Every InferenceService pod of every team: queue-proxy's request count, latency and errors (KServe's
    metric aggregation) and Envoy's, on the merged port; the InferenceService's name becomes a label."""
    selector = {"matchExpressions": [{"key": INFERENCE_SERVICE_LABEL, "operator": "Exists"}]}
    relabel = {
        "sourceLabels": ["__meta_kubernetes_pod_label_serving_kserve_io_inferenceservice"],
        "targetLabel": "inferenceservice",
    }
    endpoint = {"portNumber": MERGED_PORT, "path": MERGED_PATH, "relabelings": [relabel]}
    monitor = _pod_monitor("inference-services", "monitoring", selector, endpoint)
    monitor["spec"]["namespaceSelector"] = {"matchNames": sorted(t.name for t in spec.teams)}
    monitor["metadata"]["labels"][USER_WORKLOADS_LABEL] = "user-workloads"
    return monitor


def aggregate_inference_metrics(objects: list[KObj]) -> None:
    """KServe's global switches: queue-proxy aggregates its and the model's metrics and annotates the pod
    for scraping, which Istio's injector turns into the merged endpoint."""
    for o in objects:
        if (
            o.get("kind") == "ConfigMap"
            and name_of(o) == "inferenceservice-config"
            and "metricsAggregator" in (o.get("data") or {})
        ):
            o["data"]["metricsAggregator"] = (
                '{\n  "enableMetricAggregation": "true",\n  "enablePrometheusScraping": "true"\n}'
            )


def _labels(o: KObj) -> dict[str, str]:
    return {str(k): str(v) for k, v in (pod_template_metadata(o).get("labels") or {}).items()}
