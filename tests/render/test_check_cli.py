"""`kubeforge check` on the real renders: passes as shipped, fails (exit 1) when a rule is broken."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

from kubeforge.check.run import run_checks
from kubeforge.render import Render

ROOT = Path(__file__).resolve().parents[2]


def test_check_passes_on_the_shipped_profiles(full_render: Render) -> None:
    report = run_checks(full_render)
    errors = [str(f) for f in report.findings if f.severity == "error"]
    assert errors == []
    assert set(report.seconds) == {"schema", "policy", "reachability"}


def test_a_planted_violation_fails_the_check(kind_render: Render) -> None:
    broken = copy.copy(kind_render)
    broken.records = copy.deepcopy(kind_render.records)
    web = next(o for o in broken.objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "centraldashboard")
    web["spec"]["template"]["spec"]["hostNetwork"] = True
    report = run_checks(broken)
    assert report.failed
    assert [f.rule for f in report.findings if f.severity == "error"] == ["policy/KF006"]


def test_check_cli_json_and_exit_code(source_cache: Path, tmp_path: Path) -> None:
    env = {**os.environ, "KUBEFORGE_CACHE": str(source_cache), "KUBEFORGE_STATE": str(tmp_path)}
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/kubeforge"), "check", "--profile", "kind", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["failed"] is False and data["objects"] > 500
    assert "error" not in data["counts"]


def test_the_previous_release_renders_and_passes_too(source_cache: Path, tmp_path: Path) -> None:
    from kubeforge.render import render_platform
    from kubeforge.spec import load_spec

    override = tmp_path / "release.yaml"
    override.write_text("release: v1.11.0\n")
    spec = load_spec("kind", [override])
    render = render_platform(spec, cache=source_cache)
    assert render.lock.release == "v1.11.0"
    assert render.version_of("pipelines") == "2.15.0"
    report = run_checks(render)
    assert [str(f) for f in report.findings if f.severity == "error"] == []


def test_review_cli_writes_both_reports_and_names_new_grants(source_cache: Path, tmp_path: Path) -> None:
    env = {**os.environ, "KUBEFORGE_CACHE": str(source_cache), "KUBEFORGE_STATE": str(tmp_path / "state")}

    def review(*extra: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(ROOT / ".venv/bin/kubeforge"), "review", "--profile", "kind", "--out", str(tmp_path / "r"), *extra]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)

    first = review()
    assert first.returncode == 0, first.stderr
    approved = json.loads((tmp_path / "r" / "review.json").read_text())
    assert "## Team kubeflow-user-example-com" in (tmp_path / "r" / "review.md").read_text()
    (tmp_path / "approved.json").write_text(json.dumps(approved))
    assert review("--approved", str(tmp_path / "approved.json")).returncode == 0
    # The approved report lacked the member role's pod creation: that is now a new grant.
    approved["roles"]["kubeflow-edit"]["core/pods"].remove("create")
    (tmp_path / "older.json").write_text(json.dumps(approved))
    newer = review("--approved", str(tmp_path / "older.json"))
    assert newer.returncode == 1
    assert "new grant: role kubeflow-edit: create core/pods" in newer.stderr
    (tmp_path / "bad.json").write_text("[]")
    bad = review("--approved", str(tmp_path / "bad.json"))
    assert bad.returncode == 2 and "bad.json" in bad.stderr and "Traceback" not in bad.stderr
