"""The one shape every check (schema, CRD, policy, reachability, checkov) reports in."""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import total_ordering
from typing import Any, Literal, get_args

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
# Errors sort first so a truncated report still shows what fails the check.
_RANK = {sev: i for i, sev in enumerate(SEVERITIES)}
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


@total_ordering
@dataclass(frozen=True)
class Finding:
    """One problem (or note) about one object; `object` is `kubeforge.k8s.ident(obj)`."""

    rule: str
    severity: Severity
    object: str
    message: str
    path: str = ""

    def __post_init__(self) -> None:
        if self.severity not in _RANK:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {self.severity!r}")

    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (_RANK[self.severity], self.object, self.path, self.rule, self.message)

    def __lt__(self, other: builtins.object) -> bool:  # `object` is a field name here
        if not isinstance(other, Finding):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def __str__(self) -> str:
        where = f"{self.object} {self.path}" if self.path else self.object
        return f"{self.severity}: [{self.rule}] {where}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule=str(data["rule"]),
            severity=data["severity"],
            object=str(data["object"]),
            message=str(data["message"]),
            path=str(data.get("path", "")),
        )


def findings_to_json(findings: Iterable[Finding], *, indent: int | None = 2) -> str:
    """Sorted JSON list of findings: stable output for CI diffs."""
    return json.dumps([f.to_dict() for f in sorted(findings)], indent=indent)


def findings_from_json(text: str) -> list[Finding]:
    return [Finding.from_dict(item) for item in json.loads(text)]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def json_path(parts: Iterable[str | int]) -> str:
    """`spec.template.spec.containers[0].image` from a jsonschema/checkov path."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.match(str(part)):
            # Label keys like `app.kubernetes.io/name` would read as nested fields.
            out += f"[{json.dumps(str(part))}]"
        else:
            out += f".{part}" if out else str(part)
    return out
