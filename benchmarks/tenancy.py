"""Time team rendering, platform security and the reachability check for 10/100/1,000 teams.

The upstream part of the platform is rendered once (kustomize; independent of the team count) and
reported apart; the timed part is everything that grows with teams.

    KUBEFORGE_MIRROR=../shared/upstream .venv/bin/python benchmarks/tenancy.py [--teams 10 100 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kubeforge.check.reachability import forbidden_flows, reachability_findings, required_flows
from kubeforge.fetch import fetch_release
from kubeforge.identity import FileSecretStore
from kubeforge.isolation.registry import team_registries, without_shared_registry
from kubeforge.isolation.stores import IDENTITIES_SECRET, isolate_stores
from kubeforge.paths import project_mirror
from kubeforge.release.store import load_lock
from kubeforge.render import render_platform
from kubeforge.security import platform_security
from kubeforge.spec.load import load_spec
from kubeforge.spec.model import PlatformSpec
from kubeforge.tenancy import kfp_store, team_objects


def spec_with(n: int, base: PlatformSpec) -> PlatformSpec:
    data: dict[str, Any] = base.model_dump(mode="json")
    data["teams"] = [
        {
            "name": f"team-{i:04d}",
            "owners": [f"o{i}@example.com"],
            "members": [f"m{i}@example.com"],
            "egress": {"internet": True},
        }
        for i in range(n)
    ]
    return PlatformSpec.model_validate(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--teams", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mirror = project_mirror()
    base = load_spec("kind")
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        fetch_release(load_lock(base.release), cache=cache, mirror=mirror)
        t0 = time.perf_counter()
        render = render_platform(spec_with(0, base), cache=cache, secrets=FileSecretStore(cache / "secrets"))
        upstream_s = time.perf_counter() - t0
    upstream = render.upstream_objects()
    upstream = [o for o in upstream if o["metadata"]["name"] != IDENTITIES_SECRET]
    print(f"upstream render (once, team-independent): {upstream_s:.2f} s, {len(upstream)} objects")
    per_team: list[float] = []
    for n in args.teams:
        spec = spec_with(n, base)
        runs: list[tuple[float, float, int, int]] = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            lock = load_lock(spec.release)
            stores = isolate_stores(spec, lock, upstream)  # SeaweedFS's per-team identities grow with teams
            shared = without_shared_registry(spec, stores)  # each team gets its own model registry
            objects = [
                *shared,
                *platform_security(spec, shared),
                *team_objects(spec, lock, kfp_store(spec, lock, stores)),
                *team_registries(spec, stores),
            ]
            t1 = time.perf_counter()
            findings = reachability_findings(spec, objects)
            t2 = time.perf_counter()
            if findings:
                print(f"{len(findings)} finding(s), first: {findings[0]}", file=sys.stderr)
                return 1
            runs.append(
                (
                    t1 - t0,
                    t2 - t1,
                    len(objects),
                    len(required_flows(spec, objects)) + len(forbidden_flows(spec, objects)),
                )
            )
        render_s = statistics.median(r[0] for r in runs)
        check_s = statistics.median(r[1] for r in runs)
        per_team.append((render_s + check_s) / n)
        print(
            f"tenancy: {n:>5} teams, {runs[0][2]:>6} objects, {runs[0][3]:>6} flows: render {render_s * 1000:>6.0f} ms"
            f" + reachability {check_s * 1000:>6.0f} ms = {(render_s + check_s):.2f} s"
            f" ({(render_s + check_s) / n * 1000:.2f} ms/team, median of {args.repeat})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
