"""Proof 8 of issue 12: the GitOps path converges in one pass on a fresh control plane.

`kubectl apply --server-side` of build/kind/, wave by wave in plan.json's order, each wave's gates
awaited before the next (CRDs Established, Deployments Available, Certificates Ready). Certificates
are issued and caBundles injected by the harness's SIMULATED cert-manager (e2e/harness/certs.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from e2e.harness.certs import SimulatedCertManager
from e2e.harness.cluster import Cluster
from e2e.harness.gitops import apply_waves, load_build

REPO = Path(__file__).resolve().parents[2]
KUBEFORGE = Path(sys.executable).parent / "kubeforge"


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render") / "kind"
    subprocess.run([str(KUBEFORGE), "fetch"], check=True, capture_output=True, env=os.environ)
    subprocess.run([str(KUBEFORGE), "render", "--profile", "kind", "--out", str(out)], check=True, capture_output=True)
    return out


def test_waves_converge_in_one_pass(cluster: Cluster, build: Path) -> None:
    with SimulatedCertManager(cluster.kubeconfig):
        results = apply_waves(build, cluster.kubeconfig)
    failed = {f"{r.index} {r.name}": r.errors[:5] for r in results if r.errors}
    assert not failed, json.dumps(failed, indent=1)
    # every rendered object is on the server (kubectl get -f reports each one that is not)
    _, objects = load_build(build)
    files = [arg for path in sorted(build.glob("[0-9][0-9]-*.yaml")) for arg in ("-f", str(path))]
    out = subprocess.run(
        ["kubectl", f"--kubeconfig={cluster.kubeconfig}", "get", "-o", "name", *files],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert len(out.stdout.splitlines()) == len(objects)
