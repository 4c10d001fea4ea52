"""Turn jsonschema errors into Findings with a readable path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubeforge.findings import Finding, Severity, json_path

# A type error on a whole container dict would otherwise print the dict: keep messages one line.
MAX_MESSAGE = 300


def short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


def error_findings(
    errors: Iterable[Any],
    *,
    rule: str,
    object_id: str,
    severity: Severity = "error",
    path_prefix: str = "",
) -> list[Finding]:
    """One Finding per jsonschema ValidationError, path like `spec.template.spec.containers[0]`."""
    out = []
    for err in errors:
        path = json_path([*([path_prefix] if path_prefix else []), *err.absolute_path])
        out.append(Finding(rule=rule, severity=severity, object=object_id, message=short(err.message), path=path))
    return out
