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
