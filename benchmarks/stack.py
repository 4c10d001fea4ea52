"""Time the mocked Pulumi program for the kind profile with N teams (goal: 100 teams under 20 s).

Measured: the whole program as `pulumi up` runs it (spec from stack config, the engine's render with
warm kustomize builds, plan, every resource registered) against Pulumi's mock monitor. The first
(cold) render fills the kustomize cache and is reported separately.

    .venv/bin/python benchmarks/stack.py [--teams 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kubeforge.fetch import fetch_release  # noqa: E402
from kubeforge.paths import project_mirror  # noqa: E402
from kubeforge.release.store import load_lock  # noqa: E402
from stacks.config import StackConfig  # noqa: E402
from stacks.mocked import run_mocked  # noqa: E402

GOAL_S = 20.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubeforge-bench-") as tmp:
        if "KUBEFORGE_CACHE" not in os.environ:
            mirror = project_mirror()
            os.environ["KUBEFORGE_CACHE"] = str(Path(tmp) / "cache")
            fetch_release(load_lock("26.03"), cache=Path(os.environ["KUBEFORGE_CACHE"]), mirror=mirror)
        os.environ.setdefault("KUBEFORGE_STATE", str(Path(tmp) / "state"))
        teams = [{"name": f"team-{i:03d}", "owners": [f"owner{i}@example.com"]} for i in range(args.teams)]
        cfg = StackConfig("kind", {"teams": teams}, context="kind-kubeflow")
        times = []
        for n in range(args.repeat + 1):
            start = time.perf_counter()
            run = run_mocked(cfg)
            elapsed = time.perf_counter() - start
            if n == 0:
                cold = elapsed
            else:
                times.append(elapsed)
    median = statistics.median(times)
    groups = sum(1 for r in run.registrations if r.type == "kubernetes:yaml/v2:ConfigGroup")
    print(
        f"stack (mocked), kind profile, {args.teams} teams: "
        f"{len(run.deployed.objects)} objects in {groups} ConfigGroups, {len(run.registrations)} resources; "
        f"median {median:.1f} s of {args.repeat} (cold first run {cold:.1f} s); goal < {GOAL_S:.0f} s"
    )
    return 0 if median < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
