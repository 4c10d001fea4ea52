"""Time `kubeforge review`'s report for 1,000 teams (goal: under 10 s).

The upstream part of the platform is rendered once (kustomize; independent of the team count); the
timed part is building the report and flattening it into grant lines, over the full object list.

    KUBEFORGE_MIRROR=../shared/upstream .venv/bin/python benchmarks/review.py [--teams 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from kubeforge.fetch import fetch_release
from kubeforge.identity import FileSecretStore
from kubeforge.isolation import baseline_objects
from kubeforge.isolation.registry import team_registries, without_shared_registry
from kubeforge.isolation.stores import IDENTITIES_SECRET, isolate_stores
from kubeforge.release.store import load_lock
from kubeforge.render import render_platform
from kubeforge.review import build_review, grants
from kubeforge.security import platform_security
from kubeforge.spec.load import load_spec
from kubeforge.spec.model import PlatformSpec
from kubeforge.tenancy import kfp_store, team_objects

GOAL_S = 10.0


def spec_with(n: int, base: PlatformSpec) -> PlatformSpec:
    data: dict[str, Any] = base.model_dump(mode="json")
    data["identity"]["groups"] = []  # the profile's own group mappings name its own teams
    data["teams"] = [
        {
            "name": f"team-{i:04d}",
            "owners": [f"o{i}@example.com"],
            "members": [f"m{i}@example.com"],
            "viewers": [f"v{i}@example.com"],
            "groups": {"members": [f"grp-{i}"]},
            "egress": {"internet": True} if i % 2 else {"cidrs": [f"10.{i // 256}.{i % 256}.0/24"]},
        }
        for i in range(n)
    ]
    return PlatformSpec.model_validate(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", default="production")
    args = parser.parse_args()
    mirror = Path(os.environ.get("KUBEFORGE_MIRROR", "../shared/upstream"))
    base = load_spec(args.profile)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        fetch_release(load_lock(base.release), cache=cache, mirror=mirror)
        render = render_platform(spec_with(0, base), cache=cache, secrets=FileSecretStore(cache / "secrets"))
    upstream = [o for o, c in zip(render.objects, render.component_of, strict=True) if c not in ("security", "teams")]
    upstream = [o for o in upstream if o["metadata"]["name"] != IDENTITIES_SECRET]
    spec = spec_with(args.teams, base)
    lock = load_lock(spec.release)
    upstream = isolate_stores(spec, lock, upstream)
    shared = without_shared_registry(spec, upstream)  # each team gets its own model registry
    objects = [
        *shared,
        *platform_security(spec, shared),
        *baseline_objects(spec),
        *team_objects(spec, lock, kfp_store(spec, lock, upstream)),
        *team_registries(spec, upstream),
    ]
    runs: list[float] = []
    lines = 0
    for _ in range(args.repeat):
        gc.collect()
        t0 = time.perf_counter()
        report = build_review(spec, objects)
        lines = len(grants(report))
        runs.append(time.perf_counter() - t0)
    median = statistics.median(runs)
    print(
        f"review ({args.profile}): {args.teams} teams, {len(objects)} objects, {lines} grant lines: "
        f"{median:.2f} s (median of {args.repeat}); goal < {GOAL_S:.0f} s"
    )
    return 0 if median < GOAL_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
