"""dcgm-exporter's metric set: its counters file (`etc/default-counters.csv`, the set the image exports by
default), parsed the way the exporter reads it: `DCGM field, Prometheus type, help`, `#` starts a comment.
Each field becomes the Prometheus metric of the same name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counter:
    name: str  # the DCGM field, and the metric's name
    type: str  # gauge, counter or label
    help: str


def parse_counters(text: str) -> list[Counter]:
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",", 2)]
        if len(parts) != 3 or parts[1] not in ("gauge", "counter", "label"):
            raise ValueError(f"line {n}: expected `DCGM field, gauge|counter|label, help`, got {line!r}")
        out.append(Counter(*parts))
    return out


__all__ = ["Counter", "parse_counters"]
