"""Profile merge rules: maps deep-merge, lists and scalars replace; remember which file set each field."""

from __future__ import annotations

from typing import Any

Path_ = tuple[str, ...]


def deep_merge(
    base: dict[str, Any], top: dict[str, Any], origin: dict[Path_, str], source: str, at: Path_ = ()
) -> dict[str, Any]:
    """Return base updated by top. `origin` maps each field path set by `top` to `source`."""
    out = dict(base)
    for key, value in top.items():
        path = (*at, str(key))
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value, origin, source, path)
        else:
            out[key] = value  # lists replace whole: a profile states the full list it wants
            _forget_below(origin, path)
            _mark(origin, value, path, source)
    return out


def _mark(origin: dict[Path_, str], value: Any, path: Path_, source: str) -> None:
    origin[path] = source
    if isinstance(value, dict):
        for key, sub in value.items():
            _mark(origin, sub, (*path, str(key)), source)


def _forget_below(origin: dict[Path_, str], path: Path_) -> None:
    for key in [k for k in origin if len(k) > len(path) and k[: len(path)] == path]:
        del origin[key]


def origin_of(origin: dict[Path_, str], loc: tuple[str | int, ...], fallback: str) -> str:
    """The file that set the longest prefix of a field path."""
    parts = tuple(str(p) for p in loc)
    for end in range(len(parts), 0, -1):
        if parts[:end] in origin:
            return origin[parts[:end]]
    return fallback
