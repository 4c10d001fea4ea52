"""checkov from its own venv: real runs need .venv-checkov (CI has it); parsing and suppressions don't."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubeforge.check import checkov
from kubeforge.check.checkov import (
    checkov_executable,
    not_scanned_findings,
    parse_report,
    run_checkov,
    suppression_findings,
)
from kubeforge.errors import BadInput

from .conftest import deployment


def _checkov_or_skip() -> Path:
    try:
        return checkov_executable()
    except BadInput as exc:
        pytest.skip(f".venv-checkov is not installed here ({exc})")


def _hardened() -> dict[str, Any]:
    obj = deployment()
    obj["metadata"]["annotations"] = {"checkov.io/skip1": "CKV_K8S_43=image digests are pinned at release"}
    return obj


def test_runs_checkov_on_three_objects() -> None:
    exe = _checkov_or_skip()
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "demo"}, "data": {"a": "b"}}
    result = run_checkov([_hardened(), ns, cm], executable=exe)
    assert result.failed > 0 and result.passed > 0
    assert result.skipped == 1  # the annotated CKV_K8S_43
    assert result.failed == len(result.findings)  # the derived Pod.* resource adds no duplicates here
    ids = {f.rule for f in result.findings}
    assert "CKV_K8S_43" not in ids and "CKV_K8S_12" in ids  # suppressed vs memory requests missing
    assert {f.object for f in result.findings} == {"apps/Deployment/demo/web"}
    memory = next(f for f in result.findings if f.rule == "CKV_K8S_12")
    assert memory.message == "Memory requests should be set"
    assert memory.path == "spec.template.spec.containers[0].resources.requests.memory"


def test_missing_checkov_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(checkov.ENV_CHECKOV, str(tmp_path / "nope"))
    with pytest.raises(BadInput, match=r"pip install -r requirements-checkov.lock"):
        checkov_executable()


def test_parse_report_maps_files_back_and_merges_derived_pods() -> None:
    failed = [
        {
            "check_id": "CKV_K8S_8",
            "check_name": "Liveness Probe Should be Configured",
            "file_path": "/00001.yaml",
            "file_abs_path": "/wrong/place",
            "resource": "Deployment.demo.web",
            "check_result": {"result": "FAILED", "evaluated_keys": ["spec/template/spec/containers/[0]/livenessProbe"]},
        },
        {
            "check_id": "CKV_K8S_8",
            "check_name": "Liveness Probe Should be Configured",
            "file_path": "/00001.yaml",
            "resource": "Pod.demo.web.app-web",
            "check_result": {"evaluated_keys": ["spec/template/spec/containers/[0]/livenessProbe"]},
        },
    ]
    report = {
        "check_type": "kubernetes",
        "results": {"failed_checks": failed},
        "summary": {"passed": 5, "failed": 2, "skipped": 0, "resource_count": 2, "parsing_errors": 0},
    }
    result = parse_report(report, {"/00001.yaml": "apps/Deployment/demo/web"})
    assert [(f.rule, f.object, f.path) for f in result.findings] == [
        ("CKV_K8S_8", "apps/Deployment/demo/web", "spec.template.spec.containers[0].livenessProbe")
    ]
    assert (result.passed, result.failed, result.resource_count) == (5, 2, 2)


def test_parse_report_bare_summary_when_nothing_failed() -> None:
    summary = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}
    assert parse_report(summary, {}).findings == []


@pytest.mark.parametrize(
    ("annotations", "message"),
    [
        ({"checkov.io/skip1": "CKV_K8S_43="}, "suppression of CKV_K8S_43 gives no reason"),
        ({"checkov.io/skip1": "CKV_K8S_43=  "}, "suppression of CKV_K8S_43 gives no reason"),
        ({"checkov.io/skip2": "CKV_K8S_43"}, "is not CKV_K8S_<n>=<reason>"),
        ({"checkov.io/skip1": "CKV_K8S_43=a=b"}, "is not CKV_K8S_<n>=<reason>"),
        ({"bridgecrew.io/skip1": "CKV_K8S_43=why"}, "use the annotation checkov.io/skip<N>"),
    ],
)
def test_suppressions_need_a_reason(annotations: dict[str, str], message: str) -> None:
    obj = deployment()
    obj["metadata"]["annotations"] = annotations
    (finding,) = suppression_findings([obj])
    assert finding.rule == "checkov/suppression" and finding.severity == "error"
    assert message in finding.message
    assert finding.path.startswith("metadata.annotations[")


def test_suppression_with_reason_passes() -> None:
    assert suppression_findings([_hardened(), deployment()]) == []


def test_helm_like_objects_are_flagged_as_not_scanned() -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "inj", "namespace": "istio-system"},
        "data": {"values": "{{ .Values.global.proxy }}"},
    }
    (finding,) = not_scanned_findings([cm, deployment()])
    assert (finding.rule, finding.object) == ("checkov/not-scanned", "/ConfigMap/istio-system/inj")
