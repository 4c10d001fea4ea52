"""Render benchmark: kubeforge's cold and warm render of a profile against upstream's `kubectl kustomize
example` of the same release (remote bases served locally), on this machine, in one run; and the
footprint of both renders, computed by the same code.

    .venv/bin/python benchmarks/render.py [--profile kind] [--release 26.03]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, Run, ensure_cache, measure, objects_of, upstream_example_workspace

from kubeforge.render.footprint import footprint
from kubeforge.tools import find_kustomize

GOALS = {"cold": 1.0, "warm": 0.1, "peak_mib": 600, "kind_cpu": 2.5, "kind_gib": 4.0}


def median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="kind")
    parser.add_argument("--release", default="26.03")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the median is shown")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kubeforge-bench-"))
    try:
        cache = work / "cache"
        ensure_cache(args.release, cache)
        env = {**os.environ, "KUBEFORGE_CACHE": str(cache), "KUBEFORGE_STATE": str(work / "state")}
        render = [str(ROOT / ".venv/bin/kubeforge"), "render", "--profile", args.profile, "--out", str(work / "out")]

        example = upstream_example_workspace(args.release, work / "upstream")
        kustomize = find_kustomize()
        upstream = median([measure(kustomize.build_args(str(example))) for _ in range(args.repeat)])
        colds = []
        for _ in range(args.repeat):
            for derived in ("renders", "yaml"):  # cold: verified sources, no build or YAML cache
                shutil.rmtree(cache / derived, ignore_errors=True)
            colds.append(measure([*render, "--output", "json"], env))
        cold = median(colds)
        warm = median([measure([*render, "--output", "json"], env) for _ in range(args.repeat)])

        ours = json.loads(warm.stdout)["requests"]
        theirs = footprint(objects_of(upstream.stdout)).to_json()
        upstream_objects = len(objects_of(upstream.stdout))
        rows = [
            ("upstream kustomize example", upstream.seconds, upstream.peak_mib, "1.00x"),
            (
                f"kubeforge cold ({args.profile})",
                cold.seconds,
                cold.peak_mib,
                f"{cold.seconds / upstream.seconds:.2f}x",
            ),
            (
                f"kubeforge warm ({args.profile})",
                warm.seconds,
                warm.peak_mib,
                f"{warm.seconds / upstream.seconds:.2f}x",
            ),
        ]
        print(
            f"render benchmark, release {args.release}, kustomize {kustomize.version} via {kustomize.source}, "
            f"median of {args.repeat}"
        )
        for name, secs, mib, ratio in rows:
            print(f"  {name:32s} {secs:6.2f} s  peak {mib:6.0f} MiB  {ratio}")
        print(f"  goals: cold <= {GOALS['cold']}x, warm <= {GOALS['warm']}x, peak <= {GOALS['peak_mib']} MiB")
        print(f"footprint (requests, Istio sidecars counted), {upstream_objects} upstream objects:")
        print(f"  upstream example/: {theirs['cpu_cores']} CPU, {theirs['memory_gib']} GiB ({theirs['pods']} pods)")
        print(f"  kubeforge {args.profile}: {ours['cpu_cores']} CPU, {ours['memory_gib']} GiB ({ours['pods']} pods)")
        if args.profile == "kind":
            print(f"  goal for kind: <= {GOALS['kind_cpu']} CPU and <= {GOALS['kind_gib']} GiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
