"""Checked, not trusted: kubeforge's rule file passes `promtool check rules`, and every dashboard query
parses (each checked as a recording rule by the same promtool). promtool is Prometheus v3.12.0's, built
from the Go module pinned in e2e/tools/promtool (`make e2e-tools`); KUBEFORGE_PROMTOOL names another."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from harness import REPO, find

from kubeforge.monitoring.dashboards import queries
from kubeforge.render import Render


def _promtool() -> str:
    explicit = os.environ.get("KUBEFORGE_PROMTOOL")
    if explicit:
        return explicit
    proc = subprocess.run([str(REPO / "scripts" / "e2e-tools"), "--print"], capture_output=True, text=True, check=False)
    candidate = Path(proc.stdout.strip()) / "promtool"
    if proc.returncode == 0 and candidate.is_file():
        return str(candidate)
    pytest.skip("promtool not built: run `make e2e-tools` or set KUBEFORGE_PROMTOOL")


def _check(tmp_path: Path, groups: list[dict[str, object]]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return subprocess.run([_promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False)


def test_the_alert_rules_pass_promtool(production_render: Render, tmp_path: Path) -> None:
    rule = find(production_render.by_component()["monitoring"], "PrometheusRule", "kubeforge-platform")
    result = _check(tmp_path, rule["spec"]["groups"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 8 rules found" in result.stdout


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    rules = [{"record": f"kubeforge:dashboard_query_{n}", "expr": q} for n, q in enumerate(queries())]
    result = _check(tmp_path, [{"name": "dashboards", "rules": rules}])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_a_broken_query_fails_promtool(tmp_path: Path) -> None:
    result = _check(tmp_path, [{"name": "x", "rules": [{"alert": "Broken", "expr": "sum by (namespace (up)"}]}])
    assert result.returncode != 0
    assert "parse error" in (result.stdout + result.stderr)


# Per alert: input series (a planted violation beside healthy or excluded ones), the label that names the
# culprit, the one culprit expected, and when to evaluate. promtool evaluates `count by (label) (expr)` of
# the rendered rule's own expression, so the healthy series must not appear.
PLANTED: dict[str, tuple[list[tuple[str, str]], str, str, str]] = {
    "KubeforgeComponentDown": (
        [
            ('up{namespace="kubeflow", job="ml-pipeline", instance="a"}', "0x15"),
            ('up{namespace="kubeflow", job="katib-controller", instance="b"}', "1x15"),
            ('up{namespace="ml-research", job="user-app", instance="c"}', "0x15"),  # a team's: not a component
        ],
        "job",
        "ml-pipeline",
        "15m",
    ),
    "KubeforgeWebhookFailures": (
        [
            (
                'apiserver_admission_webhook_rejection_count{name="kserve", error_type="calling_webhook_error"}',
                "0+1x20",
            ),
            ('apiserver_admission_webhook_rejection_count{name="katib", error_type="no_error"}', "0+1x20"),
            ('apiserver_admission_webhook_rejection_count{name="istio", error_type="calling_webhook_error"}', "5x20"),
        ],
        "name",
        "kserve",
        "20m",
    ),
    "KubeforgeCertificateExpiringSoon": (
        [
            # time() is 600 at 10m: expires in 10 days, and in 30 days.
            ('certmanager_certificate_expiration_timestamp_seconds{name="gateway"}', f"{600 + 10 * 86400}x10"),
            ('certmanager_certificate_expiration_timestamp_seconds{name="webhook"}', f"{600 + 30 * 86400}x10"),
        ],
        "name",
        "gateway",
        "10m",
    ),
    "KubeforgeTeamQuotaAlmostUsed": (
        [
            ('kube_resourcequota{namespace="team-a", resource="requests.cpu", type="used"}', "9.5x5"),
            ('kube_resourcequota{namespace="team-a", resource="requests.cpu", type="hard"}', "10x5"),
            ('kube_resourcequota{namespace="team-b", resource="requests.cpu", type="used"}', "5x5"),
            ('kube_resourcequota{namespace="team-b", resource="requests.cpu", type="hard"}', "10x5"),
            ('kube_resourcequota{namespace="team-c", resource="requests.nvidia.com/gpu", type="used"}', "0x5"),
            ('kube_resourcequota{namespace="team-c", resource="requests.nvidia.com/gpu", type="hard"}', "0x5"),
        ],
        "namespace",
        "team-a",
        "5m",
    ),
    "KubeforgeGPUXIDError": (
        [
            ('DCGM_FI_DEV_XID_ERRORS{Hostname="gpu-0", gpu="0"}', "79x5"),
            ('DCGM_FI_DEV_XID_ERRORS{Hostname="gpu-0", gpu="1"}', "0x5"),
        ],
        "gpu",
        "0",
        "5m",
    ),
    "KubeforgeGPUAllocatedIdle": (
        [
            ('DCGM_FI_DEV_GPU_UTIL{gpu="0", namespace="team-a", pod="idle-notebook"}', "0x70"),
            ('DCGM_FI_DEV_GPU_UTIL{gpu="1", namespace="team-a", pod="recently-busy"}', "50x40 0x30"),
            ('DCGM_FI_DEV_GPU_UTIL{gpu="2"}', "0x70"),  # no pod holds it: free, not idle-allocated
        ],
        "pod",
        "idle-notebook",
        "70m",
    ),
    "KubeforgePVCAlmostFull": (
        [
            ('kubelet_volume_stats_available_bytes{persistentvolumeclaim="mysql"}', "5x5"),
            ('kubelet_volume_stats_capacity_bytes{persistentvolumeclaim="mysql"}', "100x5"),
            ('kubelet_volume_stats_available_bytes{persistentvolumeclaim="minio"}', "50x5"),
            ('kubelet_volume_stats_capacity_bytes{persistentvolumeclaim="minio"}', "100x5"),
        ],
        "persistentvolumeclaim",
        "mysql",
        "5m",
    ),
    "KubeforgeInferenceServiceErrors": (
        [
            ('istio_requests_total{namespace="t", inferenceservice="bad", response_code="500"}', "0+10x20"),
            ('istio_requests_total{namespace="t", inferenceservice="bad", response_code="200"}', "0+90x20"),
            ('istio_requests_total{namespace="t", inferenceservice="good", response_code="503"}', "0+1x20"),
            ('istio_requests_total{namespace="t", inferenceservice="good", response_code="200"}', "0+99x20"),
        ],
        "inferenceservice",
        "bad",
        "20m",
    ),
}


def _unit_test(tmp_path: Path, groups: list[dict[str, object]], tests: list[dict[str, object]]) -> str:
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    spec = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    result = subprocess.run(
        [_promtool(), "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_each_alert_fires_on_a_planted_violation_and_not_on_healthy_series(
    production_render: Render, tmp_path: Path
) -> None:
    rule = find(production_render.by_component()["monitoring"], "PrometheusRule", "kubeforge-platform")
    exprs = {r["alert"]: r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]}
    assert set(exprs) == set(PLANTED)
    tests = [
        {
            "interval": "1m",
            "input_series": [{"series": s, "values": v} for s, v in series],
            "promql_expr_test": [
                {
                    "expr": f"count by ({label}) ({exprs[alert]})",
                    "eval_time": at,
                    "exp_samples": [{"labels": f'{{{label}="{culprit}"}}', "value": 1}],
                }
            ],
        }
        for alert, (series, label, culprit, at) in PLANTED.items()
    ]
    assert "SUCCESS" in _unit_test(tmp_path, rule["spec"]["groups"], tests)


def test_a_planted_test_that_expects_the_wrong_culprit_fails(production_render: Render, tmp_path: Path) -> None:
    """The unit tests above can fail: the same run expecting the healthy PVC instead is refused."""
    rule = find(production_render.by_component()["monitoring"], "PrometheusRule", "kubeforge-platform")
    expr = next(r["expr"] for g in rule["spec"]["groups"] for r in g["rules"] if r["alert"] == "KubeforgePVCAlmostFull")
    series, label, _, at = PLANTED["KubeforgePVCAlmostFull"]
    test = {
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in series],
        "promql_expr_test": [
            {
                "expr": f"count by ({label}) ({expr})",
                "eval_time": at,
                "exp_samples": [{"labels": f'{{{label}="minio"}}', "value": 1}],
            }
        ],
    }
    with pytest.raises(AssertionError, match="FAILED"):
        _unit_test(tmp_path, rule["spec"]["groups"], [test])


def test_the_pipelines_failure_share_counts_teams_without_failures_as_zero(tmp_path: Path) -> None:
    [query] = [q for q in queries() if q.startswith("(sum by (profile) (resource_manager_workflow_runs_failed)")]
    runs = [
        ('resource_manager_workflow_runs_failed{profile="team-a", workflow="run-1"}', "1x5"),
        *[
            (f'resource_manager_workflow_runs_success{{profile="team-a", workflow="run-{n}"}}', "1x5")
            for n in (2, 3, 4)
        ],
        ('resource_manager_workflow_runs_success{profile="team-b", workflow="run-5"}', "1x5"),
    ]
    test = {
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in runs],
        "promql_expr_test": [
            {
                "expr": query,
                "eval_time": "5m",
                "exp_samples": [
                    {"labels": '{profile="team-a"}', "value": 0.25},
                    {"labels": '{profile="team-b"}', "value": 0},
                ],
            }
        ],
    }
    assert "SUCCESS" in _unit_test(tmp_path, [{"name": "none", "rules": []}], [test])
