"""YAML in and out: libyaml when present, deterministic dumps."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import yaml

from kubeforge.k8s import KObj


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading; a plain `=` (YAML 1.1's value tag, in Alertmanager's CRD enums) stays the string "="."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
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
    """Objects as one YAML stream with sorted keys: the same objects always give the same bytes.

    CRDs are written as JSON documents (valid YAML): they are most of the bytes, machine-generated and
    never read by people, and the YAML emitter spends seconds on them where the JSON encoder takes ms.
    """
    docs = []
    for obj in objects:
        if obj.get("kind") == "CustomResourceDefinition":
            docs.append(json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n")
        else:
            docs.append(yaml.dump(obj, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120))
    return "---\n".join(docs)


def dump(obj: Any) -> str:
    return str(yaml.dump(obj, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120))
