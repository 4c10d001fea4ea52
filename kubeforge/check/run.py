"""`kubeforge check`: schemas, policies, reachability and (optionally) checkov on one render."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kubeforge.check.reachability import reachability_findings, shared_store_findings
from kubeforge.check.validate import validate_objects
from kubeforge.findings import Finding, has_errors
from kubeforge.policy import PolicyContext, evaluate
from kubeforge.render import Render


@dataclass
class CheckReport:
    findings: list[Finding]
    objects: int
    seconds: dict[str, float] = field(default_factory=dict)
    checkov: dict[str, int] | None = None

    @property
    def failed(self) -> bool:
        return has_errors(self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "failed": self.failed,
            "counts": dict(Counter(f.severity for f in self.findings)),
            "by_rule": dict(sorted(Counter(f.rule for f in self.findings).items())),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "checkov": self.checkov,
            "findings": [f.to_dict() for f in self.findings],
        }


def run_checks(render: Render, *, scan_checkov: bool = False) -> CheckReport:
    objects = render.objects
    spec = render.spec
    report = CheckReport(findings=[], objects=len(objects))

    def stage(name: str, fn: Any) -> None:
        start = time.perf_counter()
        report.findings.extend(fn())
        report.seconds[name] = time.perf_counter() - start

    stage("schema", lambda: validate_objects(objects, spec.cluster.kubernetes_minor))
    stage("policy", lambda: evaluate(objects, PolicyContext(kind=spec.is_kind)))
    stage("reachability", lambda: [*reachability_findings(spec, objects), *shared_store_findings(spec, objects)])
    if scan_checkov:
        from kubeforge.check.checkov import run_checkov, suppression_findings

        start = time.perf_counter()
        result = run_checkov(objects)
        report.findings.extend(result.findings)
        report.findings.extend(suppression_findings(objects))
        report.checkov = {"passed": result.passed, "failed": result.failed, "skipped": result.skipped}
        report.seconds["checkov"] = time.perf_counter() - start
    report.findings = sorted(set(report.findings))
    return report
