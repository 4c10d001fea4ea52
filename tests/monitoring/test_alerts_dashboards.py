"""Alerts and dashboards: each alert the platform promises, with a runbook line; the dashboards
provisioned into Grafana and versioned; every metric name they use is on a component's recorded list."""

from __future__ import annotations

import json

import pytest
from harness import find, need_mirror

from kubeforge.gpu.counters import parse_counters
from kubeforge.k8s import KObj, name_of, pod_spec
from kubeforge.monitoring.dashboards import DASHBOARD_DIR, DASHBOARDS, VERSION, queries
from kubeforge.monitoring.metrics import SOURCES, known_metrics
from kubeforge.monitoring.promql import metric_names
from kubeforge.release.store import load_lock
from kubeforge.render import Render

ALERTS = {
    "KubeforgeComponentDown",
    "KubeforgeWebhookFailures",
    "KubeforgeCertificateExpiringSoon",
    "KubeforgeTeamQuotaAlmostUsed",
    "KubeforgeGPUXIDError",
    "KubeforgeGPUAllocatedIdle",
    "KubeforgePVCAlmostFull",
    "KubeforgeInferenceServiceErrors",
}


def _rules(render: Render) -> list[dict[str, object]]:
    rule = find(render.by_component()["monitoring"], "PrometheusRule", "kubeforge-platform")
    return [r for g in rule["spec"]["groups"] for r in g["rules"]]


def _dcgm_metrics() -> frozenset[str]:
    src = load_lock("26.03").sources["dcgm-exporter"]
    text = (need_mirror() / src.repo / src.tag / "etc/default-counters.csv").read_text()
    return frozenset(c.name for c in parse_counters(text))


def test_every_promised_alert_is_there_with_a_runbook(production_render: Render) -> None:
    rules = _rules(production_render)
    assert {r["alert"] for r in rules} == ALERTS
    for r in rules:
        annotations = r["annotations"]
        assert isinstance(annotations, dict) and len(annotations["runbook"]) > 30 and annotations["summary"]
        assert r["labels"] == {"severity": r["labels"]["severity"]}  # type: ignore[index]
    by_name = {r["alert"]: r for r in rules}
    assert "14 * 24 * 3600" in str(by_name["KubeforgeCertificateExpiringSoon"]["expr"])
    assert "> 0.9" in str(by_name["KubeforgeTeamQuotaAlmostUsed"]["expr"])
    assert "[1h]" in str(by_name["KubeforgeGPUAllocatedIdle"]["expr"])
    assert str(by_name["KubeforgeInferenceServiceErrors"]["expr"]).endswith("> 0.05")  # monitoring.inference_error_rate


def test_dashboards_are_provisioned_into_grafana_and_versioned(production_render: Render) -> None:
    objs = production_render.by_component()["monitoring"]
    grafana = find(objs, "Deployment", "grafana")
    pod = pod_spec(grafana) or {}
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v.get("configMap", {}).get("name") for v in pod["volumes"]}
    assert {d.name for d in DASHBOARDS} == {"platform-health", "team-usage", "gpus", "serving", "pipelines"}
    for d in DASHBOARDS:
        cm = find(objs, "ConfigMap", f"grafana-dashboard-kubeforge-{d.name}")
        [(key, text)] = cm["data"].items()
        board = json.loads(text)
        assert (board["uid"], board["version"], key) == (f"kubeforge-{d.name}", VERSION, f"kubeforge-{d.name}.json")
        assert all(t["expr"] for p in board["panels"] for t in p["targets"])
        volume = mounts[f"{DASHBOARD_DIR}/kubeforge-{d.name}"]
        assert volumes[volume] == name_of(cm)
    gpus = json.dumps(
        json.loads(find(objs, "ConfigMap", "grafana-dashboard-kubeforge-gpus")["data"]["kubeforge-gpus.json"])
    )
    for metric in ("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_XID_ERRORS"):
        assert metric in gpus
    # Runs by state, per team: KFP's API server's gauges, labelled by the run's profile (team namespace).
    pipelines = json.loads(
        find(objs, "ConfigMap", "grafana-dashboard-kubeforge-pipelines")["data"]["kubeforge-pipelines.json"]
    )
    exprs = [t["expr"] for p in pipelines["panels"] for t in p["targets"]]
    assert "sum by (profile) (resource_manager_workflow_runs_success)" in exprs
    assert "sum by (profile) (resource_manager_workflow_runs_failed)" in exprs


def test_every_metric_used_is_on_a_components_list(production_render: Render) -> None:
    known = known_metrics(_dcgm_metrics())
    exprs = [str(r["expr"]) for r in _rules(production_render)] + queries()
    used = {name for e in exprs for name in metric_names(e)}
    assert used, "no metric found: the extraction is broken"
    assert sorted(used - set(known)) == []
    assert {known[m] for m in used} >= {
        "dcgm-exporter",
        "kube-state-metrics",
        "kubelet",
        "istio",
        "cert-manager",
        "pipelines",
    }
    for s in SOURCES:
        assert "http" in s.source or ":" in s.source


@pytest.mark.parametrize(
    ("expr", "typo"),
    [
        ('rate(istio_request_total{inferenceservice!=""}[5m])', "istio_request_total"),
        ("DCGM_FI_DEV_GPU_UTILIZATION > 0", "DCGM_FI_DEV_GPU_UTILIZATION"),
        ('sum by (namespace) (kube_resource_quota{type="used"})', "kube_resource_quota"),
    ],
)
def test_a_metric_name_typo_is_caught(expr: str, typo: str) -> None:
    names = metric_names(expr)
    assert typo in names
    assert typo not in known_metrics(_dcgm_metrics())


def test_the_lexer_skips_labels_functions_and_grouping() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (namespace, le) (rate(a_bucket{job="x", le!="1"}[5m]))) '
        '/ ignoring(type) b{type="hard"} > 0.9'
    )
    assert metric_names(expr) == {"a_bucket", "b"}


def _objects_named(render: Render, kind: str) -> list[KObj]:
    return [o for o in render.objects if o["kind"] == kind]


def test_gpu_profile_carries_the_same_alerts(render_of: object) -> None:
    render = render_of("gpu")  # type: ignore[operator]
    assert {r["alert"] for r in _rules(render)} == ALERTS
    assert _objects_named(render, "ServiceMonitor")
