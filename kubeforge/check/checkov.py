"""Run checkov (from its own venv) on rendered objects and report in Findings.

checkov pins dependencies that clash with kubeforge's, so it lives in `.venv-checkov`, installed
from `requirements-checkov.lock`. Each object is written to its own file: checkov silently skips any
file that looks like a Helm template, so one big file could scan nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubeforge.errors import BadInput, KubeforgeError
from kubeforge.findings import Finding, json_path
from kubeforge.k8s import KObj, annotations_of, ident

ENV_CHECKOV = "KUBEFORGE_CHECKOV"
DEFAULT_CHECKOV = Path(".venv-checkov/bin/checkov")
INSTALL_HINT = "python3 -m venv .venv-checkov && .venv-checkov/bin/pip install -r requirements-checkov.lock"
# Graph checks (cross-resource, networkx based) take 352 s instead of 39 s on 5,000 objects and
# cover what kubeforge's own reachability/policy checks already do (RBAC wildcards, bindings).
GRAPH_CHECKS: tuple[str, ...] = tuple(f"CKV2_K8S_{i}" for i in range(1, 7))
RULE_SUPPRESSION = "checkov/suppression"
SKIP_ANNOTATION = re.compile(r"^checkov\.io/skip\d+$")
# checkov splits the value on "=" into exactly two parts: a reason with "=" breaks its parser.
SKIP_VALUE = re.compile(r"^(CKV2?_K8S_\d+)=([^=]*)$")
# checkov's Helm heuristic (checkov/kubernetes/parser/k8_yaml.py): such files are not scanned.
HELM_LIKE = re.compile(r"\{\{-?\s*\.(Release|Values)\.")
RULE_NOT_SCANNED = "checkov/not-scanned"


@dataclass(frozen=True)
class CheckovResult:
    """Failed checks as Findings plus checkov's own counts (passed checks are only counted)."""

    findings: list[Finding]
    passed: int
    failed: int
    skipped: int
    resource_count: int
    parsing_errors: int


def checkov_executable() -> Path:
    """$KUBEFORGE_CHECKOV, else .venv-checkov/bin/checkov here or at the source checkout's root."""
    env = os.environ.get(ENV_CHECKOV)
    candidates = [Path(env)] if env else [DEFAULT_CHECKOV, Path(__file__).resolve().parents[2] / DEFAULT_CHECKOV]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    where = " or ".join(str(p) for p in candidates)
    raise BadInput(
        f"checkov not found at {where}; install it into its own venv with `{INSTALL_HINT}` "
        f"(or point {ENV_CHECKOV} at a checkov executable)"
    )


def write_object_files(objects: Sequence[KObj], directory: Path) -> dict[str, str]:
    """One YAML file per object; returns checkov's `file_path` (`/00003.yaml`) -> object ident."""
    mapping = {}
    for i, obj in enumerate(objects):
        name = f"{i:05d}.yaml"
        (directory / name).write_text(yaml.safe_dump(obj, sort_keys=False))
        mapping[f"/{name}"] = ident(obj)
    return mapping


def run_checkov(
    objects: Sequence[KObj],
    *,
    executable: Path | None = None,
    skip_checks: Iterable[str] = GRAPH_CHECKS,
    timeout_s: float = 900,
) -> CheckovResult:
    """checkov's kubernetes checks on `objects`; every failed check is an error Finding."""
    exe = executable or checkov_executable()
    with tempfile.TemporaryDirectory(prefix="kubeforge-checkov-") as tmp:
        mapping = write_object_files(objects, Path(tmp))
        cmd = [str(exe), "-d", tmp, "--framework", "kubernetes", "-o", "json", "--quiet", "--compact"]
        cmd += ["--skip-download"]  # no network: no Prisma Cloud policy download
        skips = ",".join(skip_checks)
        if skips:
            cmd += ["--skip-check", skips]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    # Exit 1 only means "some check failed"; anything else is checkov itself failing.
    if proc.returncode not in (0, 1):
        raise KubeforgeError(f"checkov exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise KubeforgeError(f"checkov printed no JSON report ({exc}): {proc.stdout[:500]!r}") from exc
    result = parse_report(report, mapping)
    return CheckovResult(
        findings=sorted({*result.findings, *not_scanned_findings(objects)}),
        passed=result.passed,
        failed=result.failed,
        skipped=result.skipped,
        resource_count=result.resource_count,
        parsing_errors=result.parsing_errors,
    )


def parse_report(report: Any, file_to_ident: dict[str, str]) -> CheckovResult:
    """checkov's JSON (one report, a list of reports, or a bare summary when nothing failed)."""
    reports = report if isinstance(report, list) else [report]
    findings: set[Finding] = set()
    totals = {"passed": 0, "failed": 0, "skipped": 0, "resource_count": 0, "parsing_errors": 0}
    for rep in reports:
        if not isinstance(rep, dict) or rep.get("check_type", "kubernetes") != "kubernetes":
            continue
        summary = rep.get("summary", rep)
        for key in totals:
            totals[key] += int(summary.get(key, 0) or 0)
        for check in (rep.get("results") or {}).get("failed_checks", []):
            # file_path, not file_abs_path (wrong in 3.3.x); the derived `Pod.*` resource checkov
            # adds for a workload shares its file, so it maps back to that workload.
            file_path = str(check.get("file_path", ""))
            obj = file_to_ident.get(file_path, file_path)
            keys = (check.get("check_result") or {}).get("evaluated_keys") or []
            findings.add(
                Finding(
                    rule=str(check["check_id"]),
                    severity="error",
                    object=obj,
                    message=str(check.get("check_name", "")),
                    path=_checkov_path(str(keys[0])) if keys else "",
                )
            )
    return CheckovResult(sorted(findings), **totals)


def _checkov_path(key: str) -> str:
    """`spec/template/spec/containers/[0]/image` -> `spec.template.spec.containers[0].image`."""
    parts: list[str | int] = []
    for part in key.split("/"):
        if part.startswith("[") and part.endswith("]") and part[1:-1].isdigit():
            parts.append(int(part[1:-1]))
        elif part:
            parts.append(part)
    return json_path(parts)


def not_scanned_findings(objects: Iterable[KObj]) -> list[Finding]:
    """Objects checkov will skip as Helm-like: say so rather than pass them silently."""
    out = []
    for obj in objects:
        if HELM_LIKE.search(yaml.safe_dump(obj)):
            out.append(
                Finding(
                    RULE_NOT_SCANNED,
                    "warning",
                    ident(obj),
                    "checkov skips this object: it looks like a Helm template ('{{ .Values.' or '{{ .Release.')",
                )
            )
    return out


def suppression_findings(objects: Iterable[KObj]) -> list[Finding]:
    """Every `checkov.io/skipN` annotation must read `CKV_K8S_<n>=<reason>` with a non-empty reason."""
    out = []
    for obj in objects:
        annotations = annotations_of(obj)
        for key, value in annotations.items():
            if "checkov.io/skip" not in key and "bridgecrew.io/skip" not in key and "cortex.io/skip" not in key:
                continue
            path = json_path(["metadata", "annotations", key])
            m = SKIP_VALUE.match(str(value))
            if not SKIP_ANNOTATION.match(key):
                msg = f"suppressions use the annotation checkov.io/skip<N>, not {key}"
            elif m is None:
                msg = f"{value!r} is not CKV_K8S_<n>=<reason> (one '=', the reason must not contain '=')"
            elif not m.group(2).strip():
                msg = f"suppression of {m.group(1)} gives no reason"
            else:
                continue
            out.append(Finding(RULE_SUPPRESSION, "error", ident(obj), msg, path))
    return sorted(out)
