"""The metric names kubeforge's alerts and dashboards may use: one list per scraped component, each with
where the names come from (documentation or code, at the version the platform runs). A query naming
anything else is a typo or a metric that no scraped component exposes: the tests fail on it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSource:
    component: str
    source: str  # documentation or code, with the version
    names: frozenset[str]


SOURCES: tuple[MetricSource, ...] = (
    MetricSource(
        "prometheus",
        "https://prometheus.io/docs/concepts/jobs_instances/#automatically-generated-labels-and-time-series "
        "(Prometheus v3.12.0)",
        frozenset({"up"}),
    ),
    MetricSource(
        "kube-state-metrics",
        "https://github.com/kubernetes/kube-state-metrics/tree/v2.19.0/docs/metrics "
        "(resourcequota-metrics.md, workload/deployment-metrics.md, workload/pod-metrics.md; v2.19.0)",
        frozenset(
            {
                "kube_resourcequota",
                "kube_deployment_status_replicas_available",
                "kube_deployment_spec_replicas",
                "kube_daemonset_status_number_available",
                "kube_daemonset_status_desired_number_scheduled",
                "kube_pod_container_resource_requests",
                "kube_pod_status_phase",
                "kube_node_status_allocatable",
            }
        ),
    ),
    MetricSource(
        "kubelet",
        "https://kubernetes.io/docs/reference/instrumentation/metrics/ (Kubernetes v1.34: kubelet_volume_stats_*) and "
        "https://github.com/google/cadvisor/blob/master/docs/storage/prometheus.md (cAdvisor in the v1.34 kubelet)",
        frozenset(
            {
                "container_cpu_usage_seconds_total",
                "container_memory_working_set_bytes",
                "kubelet_volume_stats_available_bytes",
                "kubelet_volume_stats_capacity_bytes",
            }
        ),
    ),
    MetricSource(
        "kube-apiserver",
        "https://kubernetes.io/docs/reference/instrumentation/metrics/ (Kubernetes v1.34: apiserver_admission_*)",
        frozenset({"apiserver_admission_webhook_rejection_count", "apiserver_admission_webhook_request_total"}),
    ),
    MetricSource(
        "cert-manager",
        "https://cert-manager.io/docs/devops-tips/prometheus-metrics/ (cert-manager v1.19)",
        frozenset({"certmanager_certificate_expiration_timestamp_seconds", "certmanager_certificate_ready_status"}),
    ),
    MetricSource(
        "istio",
        "https://istio.io/latest/docs/reference/config/metrics/ (Istio 1.29 standard metrics, from every sidecar "
        "through the merged endpoint)",
        frozenset({"istio_requests_total", "istio_request_duration_milliseconds_bucket"}),
    ),
    MetricSource(
        "pipelines",
        "https://github.com/kubeflow/pipelines/tree/2.16.0/backend/src/apiserver: resource/resource_manager.go "
        "(resource_manager_workflow_runs_success|failed{profile, workflow}: runs that reached a final state, "
        "set when the persistence agent reports them), server/run_server.go (run_server_*); main.go serves "
        "them at /metrics on the HTTP port",
        frozenset(
            {
                "resource_manager_workflow_runs_success",
                "resource_manager_workflow_runs_failed",
                "run_server_run_count",
                "run_server_create_requests",
            }
        ),
    ),
    MetricSource(
        "notebooks",
        "https://github.com/kubeflow/kubeflow/blob/v1.10.0/components/notebook-controller/pkg/metrics/metrics.go "
        "(their `namespace` label becomes `exported_namespace` when scraped)",
        frozenset({"notebook_running", "notebook_create_failed_total"}),
    ),
    MetricSource(
        "dex",
        "https://github.com/dexidp/dex/blob/v2.45.0/server/server.go (http_requests_total{code, method, handler}), on "
        "the telemetry listener (cmd/dex/serve.go)",
        frozenset({"http_requests_total"}),
    ),
)


def known_metrics(extra: frozenset[str] = frozenset()) -> dict[str, str]:
    """metric name -> the component whose list has it; `extra`: dcgm-exporter's, read from its locked counters
    file (dcgm-exporter:etc/default-counters.csv of NVIDIA/dcgm-exporter 4.5.3-4.8.2, kubeforge.gpu.counters)."""
    out = {name: s.component for s in SOURCES for name in s.names}
    out.update({name: "dcgm-exporter" for name in extra})
    return out
