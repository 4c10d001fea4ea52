"""YAML in and out: libyaml when present, deterministic dumps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from kubeforge.k8s import KObj

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load_stream(text: str) -> list[KObj]:
    """Every non-empty document of a YAML stream; lists (kind: List) are flattened."""
    out: list[KObj] = []
    for doc in yaml.load_all(text, Loader=_Loader):
        if not doc:
            continue
        if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            out.extend(item for item in doc["items"] if item)
        elif isinstance(doc, dict):
            out.append(doc)
        else:
            raise ValueError(f"expected a Kubernetes object, got {type(doc).__name__}")
    return out


def dump_stream(objects: Iterable[KObj]) -> str:
    """Objects as one YAML stream with sorted keys: the same objects always give the same bytes."""
    return yaml.dump_all(list(objects), Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120)


def dump(obj: Any) -> str:
    return str(yaml.dump(obj, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120))
