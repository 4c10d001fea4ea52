"""Schema-check throughput: `kubectl kustomize` builds of upstream 26.03 components, repeated to ~5,000
objects, through `validate_objects`. Goal: >= 5,000 objects/s warm.

    .venv/bin/python benchmarks/check_schema.py [--mirror DIR] [--objects 5000] [--k8s 1.34] [--runs 5]
    .venv/bin/python benchmarks/check_schema.py --example   # upstream's whole example/ (670 objects), once each
"""

from __future__ import annotations

import argparse
import collections
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kubeforge.check.validate import validate_objects
from kubeforge.paths import project_mirror

COMPONENTS = (
    "applications/katib/upstream/installs/katib-with-kubeflow",
    "common/cert-manager/base",
    "common/istio/istio-crds/base",
    "applications/training-operator/upstream/overlays/kubeflow",
    "applications/profiles/upstream/overlays/kubeflow",
    "applications/jupyter/notebook-controller/upstream/overlays/kubeflow",
)


def build(mirror: Path) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for component in COMPONENTS:
        out = subprocess.run(
            ["kubectl", "kustomize", str(mirror / component)], capture_output=True, text=True, check=True
        ).stdout
        objs += [d for d in yaml.safe_load_all(out) if d]
    return objs


def build_example(release: str) -> list[dict[str, Any]]:
    """Upstream's example/ built offline, as benchmarks/render.py builds it."""
    from _common import objects_of, upstream_example_workspace

    from kubeforge.tools import find_kustomize

    with tempfile.TemporaryDirectory(prefix="kubeforge-bench-") as work:
        example = upstream_example_workspace(release, Path(work) / "upstream")
        args = find_kustomize().build_args(str(example))
        return objects_of(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mirror",
        type=Path,
        default=project_mirror() / "kubeflow" / "manifests" / "26.03",
    )
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--k8s", default="1.34")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--example", action="store_true", help="validate upstream's example/ instead")
    parser.add_argument("--release", default="26.03")
    args = parser.parse_args()

    if args.example:
        objects = build_example(args.release)
        print(f"{len(objects)} objects from upstream {args.release} example/")
    else:
        base = build(args.mirror)
        objects = (base * (args.objects // len(base) + 1))[: args.objects]
        print(f"{len(base)} objects from {len(COMPONENTS)} components, repeated to {len(objects)}")
    kinds = collections.Counter(o["kind"] for o in objects)
    print("top kinds: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common(6)))

    # Cold: loads the version's definitions and compiles every schema this object set needs.
    start = time.perf_counter()
    findings = validate_objects(objects, args.k8s)
    cold = time.perf_counter() - start
    # Warm: built-in schemas are cached per process; CRD schemas are rebuilt per call, as in `check`.
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        validate_objects(objects, args.k8s)
        times.append(time.perf_counter() - start)
    warm = statistics.median(times)
    by_severity = collections.Counter(f.severity for f in findings)
    print(f"findings: {dict(by_severity)}")
    print(f"cold: {cold:.2f} s, {len(objects) / cold:,.0f} objects/s")
    print(f"warm (median of {args.runs}): {warm:.2f} s, {len(objects) / warm:,.0f} objects/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
