"""Which fields of an object changed, as short dotted paths (lists of named items keyed by their name)."""

from __future__ import annotations

from typing import Any

from kubeforge.k8s import KObj

MAX_DEPTH = 6  # deeper changes are summarised at this depth: `spec.template.spec.containers[manager].env`
HIDDEN = "<hidden>"


def comparable(obj: KObj) -> KObj:
    """The object as compared: a Secret's values hidden (its keys still compared), never printed."""
    if obj.get("kind") != "Secret":
        return obj
    out = dict(obj)
    for key in ("data", "stringData"):
        if isinstance(out.get(key), dict):
            out[key] = dict.fromkeys(out[key], HIDDEN)
    return out


def _named(items: list[Any]) -> dict[str, Any] | None:
    """A list of maps each with a distinct `name` (containers, ports, env): compared by name, not position."""
    if not items or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        return None
    named = {i["name"]: i for i in items}
    return named if len(named) == len(items) else None


def changed_paths(old: Any, new: Any, path: str = "", depth: int = 0) -> list[str]:
    if old == new:
        return []
    if depth >= MAX_DEPTH or type(old) is not type(new):
        return [path or "."]
    if isinstance(old, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(sub)
            else:
                out.extend(changed_paths(old[key], new[key], sub, depth + 1))
        return out
    if isinstance(old, list):
        a, b = _named(old), _named(new)
        if a is not None and b is not None:
            return [
                p
                for name in sorted(set(a) | set(b))
                for p in (
                    [f"{path}[{name}]"]
                    if name not in a or name not in b
                    else changed_paths(a[name], b[name], f"{path}[{name}]", depth + 1)
                )
            ]
    return [path or "."]
