"""End-to-end benchmark on a real control plane on loopback (e2e/, issue 12), one run each:
the first `pulumi up` of the kind profile with two teams and the no-op second one (real CLI and
kubernetes provider, run by `python -m stacks.automation`; pulumi-random simulated, e2e/README.md);
kubeforge's GitOps path (plan.json's waves applied once with `kubectl apply --server-side`, gates
awaited) against upstream's way (`kustomize build example | kubectl apply` in upstream's retry loop),
each on a fresh control plane, cert-manager simulated by the harness (e2e/README.md).

    .venv/bin/python benchmarks/e2e.py          # needs make e2e-tools; prints a line and exits 0 without
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ROOT, upstream_example_workspace

from e2e.harness.certs import SimulatedCertManager
from e2e.harness.cluster import running, tools_dir
from e2e.harness.gitops import apply_waves, upstream_loop
from e2e.harness.pulumi import Stack
from kubeforge.tools import find_kustomize


def pulumi_up(work: Path) -> tuple[float, float, str]:
    """First `up` (kind, two teams) and a second, no-op `up`, on a fresh control plane."""
    with running(work / "cp-pulumi") as cluster, SimulatedCertManager(cluster.kubeconfig):
        stack = Stack(work / "pulumi", cluster.tools, cluster.kubeconfig)
        stack.setup(["team-a", "team-b"])
        times = []
        for _ in range(2):
            start = time.monotonic()
            out = stack.run("up", "--yes")
            times.append(time.monotonic() - start)
            if out.returncode != 0:
                return times[0], float("nan"), f"FAILED ({stack.dir})"
        return times[0], times[1], "one pass"


def main() -> None:
    try:
        tools_dir()
    except RuntimeError as err:
        print(f"e2e benchmark skipped: {err}")
        return
    work = Path(tempfile.mkdtemp(prefix="kubeforge-e2e-bench-"))
    build = work / "kind"
    kubeforge = str(ROOT / ".venv/bin/kubeforge")
    subprocess.run([kubeforge, "fetch"], check=True, capture_output=True)
    subprocess.run([kubeforge, "render", "--profile", "kind", "--out", str(build)], check=True, capture_output=True)
    example = upstream_example_workspace("26.03", work / "upstream")
    upstream_yaml = subprocess.run(
        find_kustomize().build_args(str(example)), check=True, capture_output=True, text=True
    ).stdout

    up_s, noop_s, up_note = pulumi_up(work)
    with running(work / "cp-waves") as cluster, SimulatedCertManager(cluster.kubeconfig):
        start = time.monotonic()
        results = apply_waves(build, cluster.kubeconfig)
        waves_s = time.monotonic() - start
    errors = sum(len(r.errors) for r in results)
    with running(work / "cp-upstream") as cluster, SimulatedCertManager(cluster.kubeconfig):
        passes, loop_s = upstream_loop(upstream_yaml, cluster.kubeconfig, pause=float(os.environ.get("E2E_PAUSE", 10)))

    print("e2e benchmark, kind profile, release 26.03, kube-apiserver v1.34.4 on loopback, one run")
    print(f"  first pulumi up (kind, two teams)      {up_s:6.1f} s  {up_note}")
    print(f"  no-op second pulumi up                 {noop_s:6.1f} s  {noop_s / up_s:.2f}x the first (goal <= 0.2x)")
    print(f"  kubectl wave apply (plan.json)         {waves_s:6.1f} s  {len(results)} waves, one pass, {errors} errors")
    print(f"  upstream retry loop (example/)         {loop_s:6.1f} s  {passes} passes (10 s pause between)")
    print(f"  wave apply / upstream loop             {waves_s / loop_s:6.2f}x")
    print(f"  first pulumi up / upstream loop        {up_s / loop_s:6.2f}x  (goal: <= 1.0x)")


if __name__ == "__main__":
    main()
