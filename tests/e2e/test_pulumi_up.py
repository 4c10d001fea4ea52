"""Issue 12's proofs 1, 2, 4, 5, 6 and 7: `pulumi up` of the project's Python program with the real engine.

The real Pulumi CLI v3.274.0 and pulumi-resource-kubernetes 4.25.0 (built from e2e/tools), driven by
`python -m stacks.automation` (the Automation API serves the program: there is no Python language
host to build), against the loopback control plane with kwok nodes and the SIMULATED cert-manager.
pulumi-random is the harness's SIMULATED stand-in (e2e/tools/pulumi/random). The tests share one
stack and run in file order: each proof starts from the state the previous one left.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.harness.certs import SimulatedCertManager
from e2e.harness.cluster import Cluster
from e2e.harness.live import compare, fetch
from e2e.harness.pulumi import Stack
from kubeforge.k8s import KObj, api_group, ident
from kubeforge.paths import cache_dir
from kubeforge.render.pipeline import render_platform
from kubeforge.spec import load_spec
from stacks.generated import PendingPasswordStore
from stacks.plan import Plan, plan_stack, without_pulumi_annotations

REPO = Path(__file__).resolve().parents[2]
TEAMS = ["team-a", "team-b"]
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value in state


@pytest.fixture(scope="module")
def stack(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    kubeforge = Path(sys.executable).parent / "kubeforge"
    subprocess.run([str(kubeforge), "fetch"], check=True, capture_output=True)  # the program renders from the cache
    s = Stack(tmp_path_factory.mktemp("pulumi"), cluster.tools, cluster.kubeconfig)
    s.setup(TEAMS)
    with SimulatedCertManager(cluster.kubeconfig):
        yield s


def plan_for(teams: list[str]) -> Plan:
    """What the program applies for these teams: the same render and plan as stacks/program.py."""
    from e2e.harness.pulumi import spec_team

    spec = load_spec("kind", extra={"teams": [spec_team(t) for t in teams]})
    render = render_platform(spec, cache=cache_dir(), secrets=PendingPasswordStore())
    return plan_stack(render, render.objects)


def rendered(plan: Plan) -> list[KObj]:
    return [without_pulumi_annotations(o) for n in plan.nodes for o in n.objects]


def _ok(out: Any) -> None:
    assert out.returncode == 0, out.stdout[-6000:]


def _conditions(obj: KObj) -> dict[str, str]:
    return {c.get("type"): c.get("status") for c in (obj.get("status") or {}).get("conditions") or []}


def test_1_up_in_one_pass(stack: Stack) -> None:
    start = time.monotonic()
    out = stack.run("up", "--yes")
    _ok(out)
    print(f"first up: {time.monotonic() - start:.0f}s")
    objects = rendered(plan_for(TEAMS))
    live, errors = fetch(stack.kubeconfig, objects)
    absent = sorted(ident(o) for o in objects if ident(o) not in live)
    assert not absent, f"{len(absent)} rendered objects not on the server: {absent[:20]}\n{errors[-2000:]}"
    diffs = {ident(o): d[:5] for o in objects if (d := compare(o, live[ident(o)]))}
    assert not diffs, json.dumps(dict(list(diffs.items())[:20]), indent=1)
    gates = {
        "CustomResourceDefinition": "Established",
        "Deployment": "Available",
    }
    unmet = []
    for o in objects:
        cond = gates.get(str(o.get("kind")))
        if o.get("kind") in ("Certificate", "ClusterIssuer", "Issuer") and api_group(o) == "cert-manager.io":
            cond = "Ready"
        if cond and _conditions(live[ident(o)]).get(cond) != "True":
            unmet.append(f"{ident(o)}: {cond}")
    assert not unmet, unmet[:20]


def test_2_second_up_changes_nothing(stack: Stack) -> None:
    _ok(stack.run("preview", "--expect-no-changes", "--diff"))


def test_3_policy_pack_passes_and_a_violation_fails(stack: Stack) -> None:
    # No Python language host: stacks.automation hands the CLI an executable that serves the real pack.
    pack, kind = str(REPO / "policy"), str(REPO / "policy" / "kind.json")
    _ok(stack.run("preview", "--policy-pack", pack, "--policy-pack-config", kind))
    # Planted: the laptop's static Dex user judged as production (the pack's config without kind: true).
    out = stack.run("preview", "--policy-pack", pack)
    assert out.returncode != 0
    assert "Static Dex users are for laptops" in out.stdout or "KF009" in out.stdout, out.stdout[-4000:]


def test_4_no_generated_secret_in_plain_text(stack: Stack) -> None:
    plan = plan_for(TEAMS)
    values: list[str] = []
    for node in plan.nodes:
        if not node.is_secret:
            continue
        obj = node.objects[0]
        # By identity only: the plan's data holds placeholders that are not base64, which kubectl refuses.
        meta = {"name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"]}
        live, _ = fetch(stack.kubeconfig, [{"apiVersion": "v1", "kind": obj["kind"], "metadata": meta}])
        data = live[ident(obj)].get("data") or {}
        values += [base64.b64decode(data[k]).decode() for k in node.generated if k in data]
    assert values, "the kind render has generated Secrets"
    assert not any("kubeforge-pulumi-generates:" in v or v.startswith("$2y$12$kubeforgePulumi") for v in values)
    state = json.dumps(stack.export())
    leaked = [v[:6] + "..." for v in values if v in state]
    assert not leaked, f"generated values in plain text in the state: {leaked}"
    outputs = stack.cli("stack", "output", "--json")
    _ok(outputs)
    assert json.loads(outputs.stdout)["dexPassword"] == "[secret]"
    for v in values:
        assert v not in outputs.stdout


def _team_objects(teams: list[str], team: str) -> list[KObj]:
    return [o for n in plan_for(teams).nodes if n.owner.kind == "Team" and n.owner.name == team for o in n.objects]


def _resource_names(old: Plan, new: Plan) -> set[str]:
    """Resource names of the platform objects whose applied form differs between two plans."""
    before = {ident(o): o for n in old.nodes for o in n.objects}
    names: set[str] = set()
    for node in new.nodes:
        for obj in node.objects:
            if node.owner.kind != "Team" and before.get(ident(obj)) != obj:
                ns = obj["metadata"].get("namespace")
                names.add(
                    node.name if node.is_secret else f"{node.prefix}:{ns + '/' if ns else ''}{obj['metadata']['name']}"
                )
    return names


def test_5_team_added_changes_only_that_team_then_removed(stack: Stack) -> None:
    resources = stack.export()["deployment"]["resources"]
    before = {r["urn"]: r.get("modified") for r in resources}
    created = {r["urn"]: r.get("created") for r in resources}
    stack.set_teams([*TEAMS, "team-c"])
    _ok(stack.run("up", "--yes"))
    after = stack.export()["deployment"]["resources"]
    changed = sorted(
        r["urn"] for r in after if before.get(r["urn"]) != r.get("modified") and r["type"] != "pulumi:pulumi:Stack"
    )
    # Besides the team's own: the platform objects that hold every team (the object store's per-team
    # identities Secret and the server that reads it), as the render says, updated in place.
    shared = _resource_names(plan_for(TEAMS), plan_for([*TEAMS, "team-c"]))
    assert shared, "the render of the object store names every team"
    others = [u for u in changed if "team-c" not in u and u.rpartition("::")[2] not in shared]
    assert changed and not others, others[:20]
    replaced = [r["urn"] for r in after if r["urn"] in created and created[r["urn"]] != r.get("created")]
    assert not replaced, replaced[:20]
    added = [without_pulumi_annotations(o) for o in _team_objects([*TEAMS, "team-c"], "team-c")]
    live, _ = fetch(stack.kubeconfig, added)
    assert sorted(ident(o) for o in added if ident(o) not in live) == []

    stack.set_teams(TEAMS)
    _ok(stack.run("up", "--yes"))
    plan = plan_for([*TEAMS, "team-c"])
    retained = {ident(o) for n in plan.nodes if n.retained and n.owner.name == "team-c" for o in n.objects}
    live, _ = fetch(stack.kubeconfig, added)
    left = sorted(i for i in live if i not in retained)
    assert not left, f"team-c objects left after its removal: {left[:20]}"
    assert retained <= set(live), "retained team objects (Profile, namespace) stay on the server"


def test_6_interrupted_up_then_clean_re_up(stack: Stack) -> None:
    stack.set_teams([*TEAMS, "team-d"])
    stack.checkpoints = True  # as a user's `up`: every step saved, so the interrupted one is recoverable
    try:
        proc, log = stack.start("up", "--yes")
        deadline = time.monotonic() + 900
        created = re.compile(r"teams-team-d:\S+ created")
        while time.monotonic() < deadline and not created.search(log.read_text()) and proc.poll() is None:
            time.sleep(0.5)  # interrupt once the new team's first objects exist and the rest are on their way
        assert proc.poll() is None, "the up finished before it could be interrupted"
        Stack.interrupt(proc, grace=15)
    finally:
        stack.checkpoints = False
    _ok(stack.run("cancel", "--yes"))  # a SIGKILLed update leaves the file backend's lock
    _ok(stack.run("refresh", "--yes", "--clear-pending-creates"))
    _ok(stack.run("up", "--yes"))
    _ok(stack.run("preview", "--expect-no-changes"))
    urns = [r["urn"] for r in stack.export()["deployment"]["resources"]]
    assert len(urns) == len(set(urns)), "no resource twice in the state"
    objects = rendered(plan_for([*TEAMS, "team-d"]))
    live, _ = fetch(stack.kubeconfig, objects)
    assert sorted(ident(o) for o in objects if ident(o) not in live) == []


def test_2b_no_changes_after_refresh(stack: Stack) -> None:
    _ok(stack.run("refresh", "--yes"))
    _ok(stack.run("preview", "--expect-no-changes", "--diff"))


def test_7_destroy_leaves_retained_objects(stack: Stack) -> None:
    plan = plan_for([*TEAMS, "team-d"])
    _ok(stack.run("destroy", "--yes"))
    objects = [without_pulumi_annotations(o) for n in plan.nodes for o in n.objects]
    retained = {ident(o) for n in plan.nodes if n.retained for o in n.objects}
    live, _ = fetch(stack.kubeconfig, objects)
    assert retained <= set(live), sorted(retained - set(live))[:20]
    # What is not retained is gone, except what a retained namespace keeps alive or deletes later.
    stay = sorted(
        i for i, o in live.items() if i not in retained and not (o.get("metadata") or {}).get("deletionTimestamp")
    )
    kept_ns = {i.split("/")[3] for i in retained if i.startswith("/Namespace/")}
    stray = [i for i in stay if i.split("/")[2] not in kept_ns]
    assert not stray, stray[:20]
