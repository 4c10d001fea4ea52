"""kubeforge's Grafana dashboards: JSON provisioned as ConfigMaps next to kube-prometheus's own, mounted
into Grafana under its file provider's folder, each versioned with the render (`version`, uid stable)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubeforge.k8s import KObj, meta, obj
from kubeforge.monitoring.names import COMPONENT, NAMESPACE
from kubeforge.names import PLATFORM_NAMESPACES

DASHBOARD_DIR = "/grafana-dashboard-definitions/0"  # kube-prometheus's file provider path
VERSION = 2  # bump with any change to a dashboard: Grafana shows it, and the render's diff says why


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    panels: tuple[Panel, ...]


_PLATFORM = "|".join(PLATFORM_NAMESPACES)
_TEAMS = 'namespace!~"' + "|".join((*PLATFORM_NAMESPACES, "kube-.*", "default")) + '"'

DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "platform-health",
        "kubeforge / Platform health",
        (
            Panel(
                "Scrape targets down",
                ((f'sum by (namespace, job) (up{{namespace=~"{_PLATFORM}"}} == 0)', "{{namespace}}/{{job}}"),),
            ),
            Panel(
                "Deployments not fully available",
                (
                    (
                        f'kube_deployment_spec_replicas{{namespace=~"{_PLATFORM}"}} - '
                        f'kube_deployment_status_replicas_available{{namespace=~"{_PLATFORM}"}} > 0',
                        "{{namespace}}/{{deployment}}",
                    ),
                ),
            ),
            Panel(
                "Webhook calls failing",
                (
                    (
                        'sum by (name) (rate(apiserver_admission_webhook_rejection_count{error_type="calling_webhook_error"}[5m]))',
                        "{{name}}",
                    ),
                ),
            ),
            Panel(
                "Days until certificates expire",
                (
                    (
                        "(certmanager_certificate_expiration_timestamp_seconds - time()) / 86400",
                        "{{namespace}}/{{name}}",
                    ),
                ),
                "d",
            ),
        ),
    ),
    Dashboard(
        "team-usage",
        "kubeforge / Teams: use against quota",
        (
            Panel(
                "CPU used (cores)",
                (
                    (
                        f'sum by (namespace) (rate(container_cpu_usage_seconds_total{{container!="", {_TEAMS}}}[5m]))',
                        "{{namespace}}",
                    ),
                ),
            ),
            Panel(
                "Memory used",
                (
                    (
                        f'sum by (namespace) (container_memory_working_set_bytes{{container!="", {_TEAMS}}})',
                        "{{namespace}}",
                    ),
                ),
                "bytes",
            ),
            Panel(
                "Quota used (fraction of hard)",
                (
                    (
                        f'kube_resourcequota{{type="used", {_TEAMS}}} / ignoring(type) (kube_resourcequota{{type="hard", {_TEAMS}}} > 0)',
                        "{{namespace}} {{resource}}",
                    ),
                ),
                "percentunit",
            ),
            Panel(
                "GPUs requested against quota",
                (
                    ('kube_resourcequota{type="used", resource="requests.nvidia.com/gpu"}', "{{namespace}} used"),
                    ('kube_resourcequota{type="hard", resource="requests.nvidia.com/gpu"}', "{{namespace}} quota"),
                ),
            ),
        ),
    ),
    Dashboard(
        "gpus",
        "kubeforge / GPUs per node and team",
        (
            Panel(
                "Utilisation per node",
                (("avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)", "{{Hostname}} GPU {{gpu}}"),),
                "percent",
            ),
            Panel(
                "Utilisation per team",
                (('sum by (namespace) (DCGM_FI_DEV_GPU_UTIL{namespace!=""})', "{{namespace}}"),),
                "percent",
            ),
            Panel(
                "Framebuffer used per team (MiB)",
                (('sum by (namespace) (DCGM_FI_DEV_FB_USED{namespace!=""})', "{{namespace}}"),),
            ),
            Panel("Framebuffer used per node (MiB)", (("sum by (Hostname) (DCGM_FI_DEV_FB_USED)", "{{Hostname}}"),)),
            Panel(
                "Temperature",
                (("max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP)", "{{Hostname}} GPU {{gpu}}"),),
                "celsius",
            ),
            Panel("Last XID error", (("max by (Hostname, gpu) (DCGM_FI_DEV_XID_ERRORS)", "{{Hostname}} GPU {{gpu}}"),)),
        ),
    ),
    Dashboard(
        "serving",
        "kubeforge / Serving: InferenceServices",
        (
            Panel(
                "Requests per second",
                (
                    (
                        'sum by (namespace, inferenceservice) (rate(istio_requests_total{inferenceservice!=""}[5m]))',
                        "{{namespace}}/{{inferenceservice}}",
                    ),
                ),
                "reqps",
            ),
            Panel(
                "Latency p95",
                (
                    (
                        "histogram_quantile(0.95, sum by (namespace, inferenceservice, le) "
                        '(rate(istio_request_duration_milliseconds_bucket{inferenceservice!=""}[5m])))',
                        "{{namespace}}/{{inferenceservice}}",
                    ),
                ),
                "ms",
            ),
            Panel(
                "Error rate (5xx)",
                (
                    (
                        'sum by (namespace, inferenceservice) (rate(istio_requests_total{inferenceservice!="", response_code=~"5.."}[5m])) '
                        '/ sum by (namespace, inferenceservice) (rate(istio_requests_total{inferenceservice!=""}[5m]))',
                        "{{namespace}}/{{inferenceservice}}",
                    ),
                ),
                "percentunit",
            ),
        ),
    ),
    # KFP's API server counts runs as the persistence agent reports them finished, per team (`profile`) and run
    # (`workflow`), in memory: the figures cover the runs finished since the API server started. It keeps no
    # gauge of runs pending or running (kubeforge.monitoring.metrics, source "pipelines").
    Dashboard(
        "pipelines",
        "kubeforge / Pipelines: runs by state",
        (
            Panel(
                "Runs finished, by state",
                (
                    ("sum(resource_manager_workflow_runs_success)", "succeeded"),
                    ("sum(resource_manager_workflow_runs_failed)", "failed"),
                ),
            ),
            Panel(
                "Runs succeeded per team",
                (("sum by (profile) (resource_manager_workflow_runs_success)", "{{profile}}"),),
            ),
            Panel(
                "Runs failed per team",
                (("sum by (profile) (resource_manager_workflow_runs_failed)", "{{profile}}"),),
            ),
            Panel(
                "Share of finished runs that failed, per team",
                (
                    (
                        # A team without failures shows 0, not a gap (its failed series do not exist).
                        "(sum by (profile) (resource_manager_workflow_runs_failed) or 0 * sum by (profile) "
                        "(resource_manager_workflow_runs_success)) / sum by (profile) "
                        "(resource_manager_workflow_runs_failed or resource_manager_workflow_runs_success)",
                        "{{profile}}",
                    ),
                ),
                "percentunit",
            ),
            Panel("Runs created per hour", (("sum(increase(run_server_create_requests[1h]))", "created"),)),
        ),
    ),
)


def queries() -> list[str]:
    """Every PromQL query of every dashboard."""
    return [q for d in DASHBOARDS for p in d.panels for q, _ in p.queries]


def _panel(n: int, panel: Panel) -> dict[str, Any]:
    return {
        "id": n + 1,
        "type": "timeseries",
        "title": panel.title,
        "gridPos": {"h": 8, "w": 12, "x": (n % 2) * 12, "y": (n // 2) * 8},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [
            {"expr": q, "legendFormat": legend, "refId": chr(ord("A") + i)}
            for i, (q, legend) in enumerate(panel.queries)
        ],
    }


def dashboard_json(d: Dashboard) -> dict[str, Any]:
    return {
        "uid": f"kubeforge-{d.name}",
        "title": d.title,
        "tags": ["kubeforge"],
        "version": VERSION,
        "schemaVersion": 39,
        "editable": False,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {"text": "prometheus", "value": "prometheus"},
                }
            ]
        },
        "panels": [_panel(n, p) for n, p in enumerate(d.panels)],
    }


def config_map_name(d: Dashboard) -> str:
    return f"grafana-dashboard-kubeforge-{d.name}"


def dashboard_config_maps() -> list[KObj]:
    out = []
    for d in DASHBOARDS:
        text = json.dumps(dashboard_json(d), indent=2, sort_keys=True)
        out.append(
            obj(
                "v1",
                "ConfigMap",
                meta(config_map_name(d), NAMESPACE, COMPONENT),
                data={f"kubeforge-{d.name}.json": text},
            )
        )
    return out


def mount_dashboards(grafana: KObj) -> None:
    """Each dashboard ConfigMap as a volume in Grafana's file provider folder, as kube-prometheus mounts its own."""
    pod = grafana["spec"]["template"]["spec"]
    container = next(c for c in pod["containers"] if c["name"] == "grafana")
    for d in DASHBOARDS:
        name = config_map_name(d)
        pod["volumes"].append({"name": name, "configMap": {"name": name}})
        container["volumeMounts"].append(
            {"name": name, "mountPath": f"{DASHBOARD_DIR}/kubeforge-{d.name}", "readOnly": True}
        )
