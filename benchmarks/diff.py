"""Time `kubeforge diff --profile P --from-release v1.11.0 --to-release 26.03` and print its summary.

Cold: a fresh cache holding only the fetched sources (both releases built by kustomize); warm: the same
cache again (kustomize builds and YAML served from it), median of --repeat. The whole CLI is timed as a
user runs it (a subprocess: imports, two renders, the comparison, the JSON).

    KUBEFORGE_MIRROR=../shared/upstream .venv/bin/python benchmarks/diff.py [--profile kind] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import ensure_cache

KUBEFORGE = Path(sys.executable).parent / "kubeforge"


def run(profile: str, cache: Path) -> tuple[float, int, dict[str, Any]]:
    env = {**os.environ, "KUBEFORGE_CACHE": str(cache), "KUBEFORGE_STATE": str(cache / "state")}
    argv = [
        str(KUBEFORGE),
        "diff",
        "--profile",
        profile,
        "--from-release",
        "v1.11.0",
        "--to-release",
        "26.03",
        "-o",
        "json",
    ]
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"kubeforge diff failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed, proc.returncode, json.loads(proc.stdout)


def summary(report: dict[str, Any]) -> list[str]:
    comps = report["components"]
    total = {k: sum(len(c[k]) for c in comps.values()) for k in ("added", "removed", "changed", "images")}
    lines = [
        f"  {len(comps)} components differ: {total['added']} objects added, {total['removed']} removed, "
        f"{total['changed']} changed, {total['images']} images changed",
        "  dangers: "
        + (
            ", ".join(f"{n} {s}" for s, n in sorted(Counter(d["severity"] for d in report["dangers"]).items()))
            or "none"
        ),
    ]
    lines += [f"    {d['severity']}: {d['component']} {d['object']}: {d['why']}" for d in report["dangers"]]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--profile", action="append", help="profiles to diff (default: kind and production)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for profile in args.profile or ["kind", "production"]:
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "cache"
            for release in ("v1.11.0", "26.03"):
                ensure_cache(release, cache)
            cold, rc, report = run(profile, cache)
            warm = statistics.median(run(profile, cache)[0] for _ in range(args.repeat))
        print(f"kubeforge diff --profile {profile} --from-release v1.11.0 --to-release 26.03: exit {rc}")
        print(f"  cold {cold:.2f} s, warm {warm:.2f} s (median of {args.repeat})")
        print("\n".join(summary(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
