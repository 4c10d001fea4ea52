"""Label selectors (metav1.LabelSelector): matchLabels and matchExpressions, all AND-ed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubeforge.errors import BadInput

# LabelSelector only knows these four; Gt/Lt exist for node selectors, not here.
OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


@dataclass(frozen=True)
class Requirement:
    """One `key operator values` term; matchLabels entries become `key In {value}`."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            # Kubernetes: NotIn also matches objects that lack the key altogether.
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels  # DoesNotExist


@dataclass(frozen=True)
class LabelSelector:
    """A parsed selector; no requirements (`{}`) matches everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(req.matches(labels) for req in self.requirements)

    @classmethod
    def parse(cls, raw: Any, where: str = "selector") -> LabelSelector:
        """Parse a selector dict; `where` names the field in error messages."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise BadInput(f"expected a label selector mapping, got {type(raw).__name__}", field=where)
        reqs: list[Requirement] = []
        match_labels = raw.get("matchLabels") or {}
        if not isinstance(match_labels, Mapping):
            raise BadInput("matchLabels must be a mapping", field=where)
        for key, value in match_labels.items():
            reqs.append(Requirement(str(key), "In", frozenset({str(value)})))
        for i, expr in enumerate(raw.get("matchExpressions") or []):
            reqs.append(_parse_expression(expr, f"{where}.matchExpressions[{i}]"))
        return cls(tuple(reqs))


def _parse_expression(expr: Any, where: str) -> Requirement:
    if not isinstance(expr, Mapping) or "key" not in expr or "operator" not in expr:
        raise BadInput("a match expression needs key and operator", field=where)
    op = str(expr["operator"])
    if op not in OPERATORS:
        raise BadInput(f"operator {op!r} is not one of {sorted(OPERATORS)}", field=where)
    values = frozenset(str(v) for v in (expr.get("values") or []))
    # Mirrors API validation: In/NotIn need values, Exists/DoesNotExist must have none.
    if op in ("In", "NotIn") and not values:
        raise BadInput(f"operator {op} needs a non-empty values list", field=where)
    if op in ("Exists", "DoesNotExist") and values:
        raise BadInput(f"operator {op} takes no values", field=where)
    return Requirement(str(expr["key"]), op, values)
