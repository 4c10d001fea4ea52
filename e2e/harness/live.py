"""Rendered objects against the server's: each rendered field present with the rendered value.

Server-set fields (status, uid, managedFields, defaults) are ignored because only the rendered
fields are compared, and a rendered `status` (upstream CRDs ship one) is the server's too; a rendered
null, or a zero value ("", 0, false) the server omits (Go's omitempty), is no difference; quantities
compare by value (`0.5` is `500m`); a Secret is compared by its keys (values are generated at apply
time, and secret).
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from kubeforge.k8s import KObj, ident

_SUFFIX = {
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal("1e3"),
    "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"), "P": Decimal("1e15"), "E": Decimal("1e18"),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40), "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}  # fmt: skip
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)(e[+-]?[0-9]+)?([a-zA-Z]*)$")


def quantity(value: object) -> Decimal | None:
    m = _QUANTITY.match(str(value))
    if not m or m.group(3) not in _SUFFIX:
        return None
    try:
        return Decimal(m.group(1) + (m.group(2) or "")) * _SUFFIX[m.group(3)]
    except InvalidOperation:
        return None


def _empty(value: object) -> bool:
    return value is None or value == {} or value == []


def _omitted(value: object) -> bool:
    """What the API server stores as absent: null, empty, or a zero scalar under omitempty."""
    return _empty(value) or value == "" or value is False or (type(value) is int and value == 0)


def differences(rendered: Any, live: Any, path: str = "") -> list[str]:
    if isinstance(rendered, dict):
        if not isinstance(live, dict):
            return [] if _empty(rendered) and _empty(live) else [f"{path}: {live!r} is not an object"]
        out: list[str] = []
        for key, value in rendered.items():
            if key not in live:
                if not _omitted(value):
                    out.append(f"{path}.{key}: missing")
                continue
            if value is None:
                continue  # null in an applied object sets nothing (metadata.creationTimestamp: null)
            out += differences(value, live[key], f"{path}.{key}")
        return out
    if isinstance(rendered, list):
        if not isinstance(live, list) or len(live) != len(rendered):
            return [] if _empty(rendered) and _empty(live) else [f"{path}: {len(rendered)} items, live {live!r:.200}"]
        return [
            d for i, (r, v) in enumerate(zip(rendered, live, strict=True)) for d in differences(r, v, f"{path}[{i}]")
        ]
    if rendered == live or str(rendered) == str(live):
        return []
    q1, q2 = quantity(rendered), quantity(live)
    if q1 is not None and q1 == q2:
        return []
    return [f"{path}: rendered {rendered!r:.120}, live {live!r:.120}"]


def compare(rendered: KObj, live: KObj) -> list[str]:
    rendered = {k: v for k, v in rendered.items() if k != "status"}  # the server's: apply never sets it
    if rendered.get("kind") == "Secret" and rendered.get("apiVersion") == "v1":
        keys = set(rendered.get("data") or {}) | set(rendered.get("stringData") or {})
        missing = sorted(keys - set(live.get("data") or {}))
        rest = {k: v for k, v in rendered.items() if k not in ("data", "stringData")}
        return differences(rest, live) + [f".data.{k}: missing" for k in missing]
    return differences(rendered, live)


def fetch(kubeconfig: Path, objects: list[KObj]) -> tuple[dict[str, KObj], str]:
    """The server's copy of each object that exists, by ident; and kubectl's errors (one per absent object)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump_all(objects, f)
        f.flush()
        out = subprocess.run(
            ["kubectl", f"--kubeconfig={kubeconfig}", "get", "-f", f.name, "-o", "json", "--ignore-not-found"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    got = json.loads(out.stdout) if out.stdout.strip() else {}
    items = got.get("items") or [] if got.get("kind") == "List" else [got] if got else []  # one object: no List
    return {ident(o): o for o in items}, out.stderr


def kubectl(
    kubeconfig: Path, *args: str, stdin: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """kubectl against the harness's cluster; the caller reads the exit status (a refusal may be the point)."""
    return subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args], input=stdin, capture_output=True, text=True, timeout=timeout
    )


def apply(kubeconfig: Path, objects: list[KObj]) -> None:
    """Server-side apply, as the e2e field manager; fails with kubectl's own words."""
    out = kubectl(
        kubeconfig,
        "apply",
        "--server-side",
        "--field-manager=kubeforge-e2e",
        "-f",
        "-",
        stdin=yaml.safe_dump_all(objects),
    )
    if out.returncode != 0:
        raise AssertionError(f"kubectl apply failed: {out.stderr[-3000:]}")
