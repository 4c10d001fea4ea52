"""Check benchmark: schema + policy speed on the kind render and on 1,000 teams; checkov failures of
kubeforge's kind and production renders against upstream example/ of the same release, in one run.

    .venv/bin/python benchmarks/check.py [--teams 1000] [--no-checkov]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ensure_cache, objects_of, upstream_example_workspace

from kubeforge.check.checkov import run_checkov
from kubeforge.check.validate import validate_objects
from kubeforge.policy import PolicyContext, evaluate
from kubeforge.render import Render, render_platform
from kubeforge.spec import load_spec
from kubeforge.tools import find_kustomize


def teams_override(path: Path, count: int) -> Path:
    lines = ["teams:"]
    for i in range(count):
        lines += [
            f"  - name: team-{i:04d}",
            f"    owners: [owner{i}@example.com]",
            f"    members: [member{i}@example.com]",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def timed_check(render: Render) -> tuple[float, float, int]:
    objects = render.objects
    start = time.perf_counter()
    errors = [f for f in validate_objects(objects, render.spec.cluster.kubernetes_minor) if f.severity == "error"]
    schema_s = time.perf_counter() - start
    start = time.perf_counter()
    errors += [f for f in evaluate(objects, PolicyContext(kind=render.spec.is_kind)) if f.severity == "error"]
    return schema_s, time.perf_counter() - start, len(errors)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--no-checkov", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kubeforge-bench-check-"))
    os.environ["KUBEFORGE_CACHE"] = str(work / "cache")
    os.environ["KUBEFORGE_STATE"] = str(work / "state")
    try:
        ensure_cache("26.03", work / "cache")
        kind = render_platform(load_spec("kind"), cache=work / "cache")
        many = render_platform(
            load_spec("kind", [teams_override(work / "teams.yaml", args.teams)]), cache=work / "cache"
        )
        print("schema + policy check (strict Kubernetes 1.34 schemas and CRD schemas):")
        for label, render in (("kind", kind), (f"kind + {args.teams} teams", many)):
            schema_s, policy_s, errors = timed_check(render)
            n = len(render.objects)
            print(
                f"  {label:22s} {n:6d} objects: schema {schema_s:5.2f} s ({n / schema_s:7.0f} objects/s), "
                f"policy {policy_s:5.2f} s, {errors} errors"
            )
        print("  goal: >= 5000 objects/s for schema validation")
        if args.no_checkov:
            return
        production = render_platform(load_spec("production"), cache=work / "cache")
        example = upstream_example_workspace("26.03", work / "upstream")
        upstream = objects_of(os.popen(" ".join(find_kustomize().build_args(str(example)))).read())
        print("checkov (kubernetes framework, graph checks skipped), failed / passed:")
        rows = [
            ("upstream example/ 26.03", upstream, None),
            ("kubeforge kind", kind.objects, kind),
            ("kubeforge production", production.objects, production),
        ]
        base = None
        for label, objects, render in rows:
            result = run_checkov(objects)
            base = base or result.failed
            own = ""
            if render is not None:
                # Objects of the components kubeforge authors itself (security, teams, gpu): not in the lock.
                authored = {r.ident for r in render.records if r.component not in render.lock.components}
                own = f", on objects kubeforge authors: {sum(1 for f in result.findings if f.object in authored)}"
            print(
                f"  {label:26s} {result.failed:4d} failed, {result.passed:5d} passed, {result.skipped:3d} skipped "
                f"by annotated decisions ({result.failed / base:.2f}x upstream){own}"
            )
        print("  goals: under 0.5x upstream's failures; zero on the objects kubeforge authors")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
