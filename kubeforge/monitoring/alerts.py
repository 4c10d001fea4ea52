"""kubeforge's alerts (one PrometheusRule in the monitoring namespace), each with a runbook line."""

from __future__ import annotations

from dataclasses import dataclass

from kubeforge.k8s import KObj, meta, obj
from kubeforge.monitoring.names import COMPONENT, NAMESPACE
from kubeforge.names import PLATFORM_NAMESPACES
from kubeforge.spec.model import PlatformSpec

RULE_NAME = "kubeforge-platform"


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    duration: str
    severity: str
    summary: str
    runbook: str


def alerts(spec: PlatformSpec) -> tuple[Alert, ...]:
    platform = "|".join(PLATFORM_NAMESPACES)
    threshold = spec.monitoring.inference_error_rate
    return (
        Alert(
            "KubeforgeComponentDown",
            f'up{{namespace=~"{platform}"}} == 0',
            "10m",
            "critical",
            "A platform component's metrics endpoint has not answered for 10 minutes.",
            "kubectl -n {{ $labels.namespace }} get pods; describe the pod behind {{ $labels.instance }} and read its logs.",
        ),
        Alert(
            "KubeforgeWebhookFailures",
            'sum by (name) (increase(apiserver_admission_webhook_rejection_count{error_type="calling_webhook_error"}[10m])) > 0',
            "5m",
            "critical",
            "The API server could not call admission webhook {{ $labels.name }}: writes it guards fail.",
            "kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations; check the webhook's Service endpoints and its pods.",
        ),
        Alert(
            "KubeforgeCertificateExpiringSoon",
            "certmanager_certificate_expiration_timestamp_seconds - time() < 14 * 24 * 3600",
            "1h",
            "warning",
            "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires within 14 days.",
            "kubectl -n {{ $labels.namespace }} describe certificate {{ $labels.name }}; cmctl renew it or fix its issuer.",
        ),
        Alert(
            "KubeforgeTeamQuotaAlmostUsed",
            'kube_resourcequota{type="used"} / ignoring(type) (kube_resourcequota{type="hard"} > 0) > 0.9',
            "15m",
            "warning",
            "Team {{ $labels.namespace }} uses over 90 % of its {{ $labels.resource }} quota.",
            "Raise teams[].quota in the spec and re-apply, or ask the team to free {{ $labels.resource }}.",
        ),
        Alert(
            "KubeforgeGPUXIDError",
            "DCGM_FI_DEV_XID_ERRORS > 0",
            "0m",
            "critical",
            "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} reported XID {{ $value }}.",
            "Look the XID up in NVIDIA's XID catalogue; drain the node (kubectl drain) if it is a hardware or "
            "double-bit ECC error.",
        ),
        Alert(
            "KubeforgeGPUAllocatedIdle",
            'max_over_time(DCGM_FI_DEV_GPU_UTIL{pod!=""}[1h]) == 0',
            "0m",
            "warning",
            "Pod {{ $labels.namespace }}/{{ $labels.pod }} holds a GPU and has not used it for an hour.",
            "Ask the team to stop the pod (idle notebook or finished job) so the GPU returns to the pool.",
        ),
        Alert(
            "KubeforgePVCAlmostFull",
            "kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.1",
            "15m",
            "warning",
            "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has less than 10 % free.",
            "Expand the PVC (if its StorageClass allows) or delete data; databases stop writing when it is full.",
        ),
        Alert(
            "KubeforgeInferenceServiceErrors",
            'sum by (namespace, inferenceservice) (rate(istio_requests_total{inferenceservice!="", response_code=~"5.."}[5m])) '
            '/ sum by (namespace, inferenceservice) (rate(istio_requests_total{inferenceservice!=""}[5m])) '
            f"> {threshold}",
            "10m",
            "critical",
            f"InferenceService {{{{ $labels.namespace }}}}/{{{{ $labels.inferenceservice }}}} answers more than "
            f"{threshold:.0%} of its requests with a 5xx.",
            "kubectl -n {{ $labels.namespace }} get inferenceservice {{ $labels.inferenceservice }}; read the "
            "predictor's logs and its latest revision's events.",
        ),
    )


def prometheus_rule(spec: PlatformSpec) -> KObj:
    rules = [
        {
            "alert": a.name,
            "expr": a.expr,
            "for": a.duration,
            "labels": {"severity": a.severity},
            "annotations": {"summary": a.summary, "runbook": a.runbook},
        }
        for a in alerts(spec)
    ]
    md = meta(RULE_NAME, NAMESPACE, COMPONENT)
    # kube-prometheus's Prometheus selects every PrometheusRule (ruleSelector {}); the label says whose it is.
    md["labels"]["prometheus"] = "k8s"
    return obj(
        "monitoring.coreos.com/v1", "PrometheusRule", md, spec={"groups": [{"name": "kubeforge", "rules": rules}]}
    )
