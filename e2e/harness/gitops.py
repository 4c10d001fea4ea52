"""The GitOps path on a real control plane: `kubectl apply --server-side` of build/<profile>/, wave by
wave as plan.json orders it, waiting for each wave's gates before the next (proof 8 of issue 12).
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kubeforge.k8s import api_group, ident

FIELD_MANAGER = "kubeforge-gitops"


@dataclass
class WaveResult:
    index: int
    name: str
    objects: int
    seconds: float
    errors: list[str] = field(default_factory=list)


def load_build(build: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """plan.json and every rendered object by its ident."""
    plan = json.loads((build / "plan.json").read_text())
    objects: dict[str, dict[str, Any]] = {}
    for path in sorted(build.glob("[0-9][0-9]-*.yaml")):
        for obj in yaml.safe_load_all(path.read_text()):
            if obj:
                objects[ident(obj)] = obj
    return plan, objects


def _kubectl(
    kubeconfig: Path, *args: str, stdin: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args], input=stdin, capture_output=True, text=True, timeout=timeout
    )


def _wait(kubeconfig: Path, objs: list[dict[str, Any]], gates: list[str], timeout: int) -> list[str]:
    """Wait for the gates plan.json names, on the objects of this wave they concern; one deadline for
    the whole wave, so a stuck wave fails in `timeout` seconds, not once per object."""
    errors = []
    deadline = time.monotonic() + timeout
    for obj in objs:
        timeout = max(1, int(deadline - time.monotonic()))
        kind, meta = obj["kind"], obj["metadata"]
        ns = ["-n", meta["namespace"]] if meta.get("namespace") else []
        target = f"{kind.lower()}.{api_group(obj) or 'core'}/{meta['name']}".replace(".core/", "/")
        cond = None
        if kind == "CustomResourceDefinition" and "crd-established" in gates:
            cond = "condition=Established"
        elif kind == "Deployment" and "deployment-available" in gates:
            cond = "condition=Available"
        # Only cert-manager's Certificates: Knative's networking.internal.knative.dev Certificate is
        # issued by Knative's own controller (not in the render), so waiting on it would never end.
        elif kind in ("Certificate", "ClusterIssuer", "Issuer") and api_group(obj) == "cert-manager.io":
            cond = "condition=Ready"
        elif kind in ("StatefulSet", "DaemonSet") and {"statefulset-ready", "daemonset-ready"} & set(gates):
            out = _kubectl(kubeconfig, "rollout", "status", *ns, target, f"--timeout={timeout}s", timeout=timeout + 30)
            if out.returncode != 0:
                errors.append(f"{ident(obj)}: {out.stderr.strip()}")
            continue
        if cond:
            out = _kubectl(
                kubeconfig, "wait", *ns, f"--for={cond}", target, f"--timeout={timeout}s", timeout=timeout + 30
            )
            if out.returncode != 0:
                errors.append(f"{ident(obj)}: {out.stderr.strip()}")
    return errors


def apply_waves(build: Path, kubeconfig: Path, gate_timeout: int = 180) -> list[WaveResult]:
    """One pass: each wave applied once, then its gates awaited. Errors are returned, not retried."""
    plan, objects = load_build(build)
    results = []
    for wave in plan["waves"]:
        start = time.monotonic()
        members = [objects[i] for ids in wave["groups"].values() for i in ids]
        stream = "\n---\n".join(yaml.safe_dump(o, sort_keys=False) for o in members)
        out = _kubectl(
            kubeconfig, "apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-", stdin=stream
        )
        result = WaveResult(wave["index"], wave["name"], len(members), 0.0)
        if out.returncode != 0:
            result.errors += [line for line in out.stderr.splitlines() if line.strip()]
        result.errors += _wait(kubeconfig, members, wave["wait_for"], gate_timeout)
        result.seconds = time.monotonic() - start
        results.append(result)
    return results


def upstream_loop(objects_yaml: str, kubeconfig: Path, max_passes: int = 30, pause: float = 10) -> tuple[int, float]:
    """Upstream's README loop: apply everything until kubectl succeeds; returns (passes, seconds)."""
    start = time.monotonic()
    for n in range(1, max_passes + 1):
        out = _kubectl(kubeconfig, "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=objects_yaml)
        if out.returncode == 0:
            return n, time.monotonic() - start
        time.sleep(pause)
    raise RuntimeError(f"upstream's loop did not converge in {max_passes} passes")
