"""Issue 13 on the e2e control plane: upgrade v1.11.0 -> 26.03 with playbooks/upgrade-platform.yml, then
roll back with playbooks/rollback-platform.yml, both run for real by ansible-playbook.

Real: kube-apiserver/etcd/controller-manager v1.34.4, the Pulumi CLI v3.274.0 and pulumi-kubernetes 4.25.0
(`python -m stacks.automation` in `platform_upgrade_pulumi`, the Pulumi CLI for export/config/outputs),
`kubeforge diff` in the preflight, the backup (`pulumi stack export`, custom resources, team objects,
MANIFEST.json) and its checksum verification. Simulated, as in test_pulumi_up.py: kwok nodes (no container
runs), cert-manager and pulumi-random. Switched off by the role's documented variables, and why:
- the database dumps and restores (`platform_upgrade_databases: []`): they `kubectl exec` into the MySQL
  pods, and kwok pods run no process; they are proven against a real MariaDB server in
  tests/roles/test_platform_upgrade.py;
- the dashboard post-check (`platform_upgrade_check_dashboard: false`): no gateway pod serves it here.
The stack is the kind profile with two teams and Knative and KServe switched off in its `kubeforge:spec`
(the documented way to switch a component off): v1.11.0 -> 26.03 with Knative on is refused by
`kubeforge diff` (Knative v1.16 -> v1.21 skips four minors, no release pins the ones between), so the
InferenceService the issue names cannot be part of this path. The tests run in file order on one stack.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.harness.certs import SimulatedCertManager
from e2e.harness.cluster import Cluster
from e2e.harness.live import kubectl
from e2e.harness.pulumi import STACK, Stack

REPO = Path(__file__).resolve().parents[2]
TEAMS = ["team-a", "team-b"]
OFF = {"knative": {"enabled": False}, "kserve": {"enabled": False}}
# Kinds whose objects hold data or identity: never replaced or deleted by an upgrade or a rollback.
STATEFUL = "persistentvolumeclaims,statefulsets,namespaces,customresourcedefinitions"


def user_objects(ns: str) -> list[dict[str, Any]]:
    """What a team keeps in its namespace, with the CRDs v1.11.0's kind render serves (Knative/KServe off)."""
    meta = {"namespace": ns}
    container = {"name": "main", "image": "kubeflownotebookswg/jupyter-scipy:v1.10.0"}
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "user-config", **meta}, "data": {"k": "v"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "user-token", **meta}, "stringData": {"t": "s"}},
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "workspace-nb", **meta},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
        {
            "apiVersion": "kubeflow.org/v1",
            "kind": "Notebook",
            "metadata": {"name": "nb", **meta},
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{**container, "volumeMounts": [{"name": "ws", "mountPath": "/home/jovyan"}]}],
                        "volumes": [{"name": "ws", "persistentVolumeClaim": {"claimName": "workspace-nb"}}],
                    }
                }
            },
        },
        {
            "apiVersion": "kubeflow.org/v1alpha1",
            "kind": "PodDefault",
            "metadata": {"name": "add-token", **meta},
            "spec": {
                "desc": "mount the user token",
                "selector": {"matchLabels": {"add-token": "true"}},
                "env": [{"name": "TOKEN_FILE", "value": "/secret/t"}],
            },
        },
        {
            "apiVersion": "kubeflow.org/v1beta1",
            "kind": "Experiment",
            "metadata": {"name": "random-search", **meta},
            "spec": {
                "objective": {"type": "maximize", "goal": 0.9, "objectiveMetricName": "accuracy"},
                "algorithm": {"algorithmName": "random"},
                "maxTrialCount": 2,
                "parallelTrialCount": 1,
                "parameters": [
                    {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.1"}}
                ],
                "trialTemplate": {
                    "primaryContainerName": "training",
                    "trialParameters": [{"name": "lr", "reference": "lr"}],
                    "trialSpec": {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "spec": {
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "containers": [
                                        {
                                            "name": "training",
                                            "image": "python:3.12",
                                            "command": ["echo", "${trialParameters.lr}"],
                                        }
                                    ],
                                }
                            }
                        },
                    },
                },
            },
        },
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "WorkflowTemplate",
            "metadata": {"name": "hello", **meta},
            "spec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": {**container, "command": ["true"]}}],
            },
        },
    ]


def resource(obj: dict[str, Any]) -> str:
    """kubectl's name for the object's type at its apiVersion (`notebooks.v1.kubeflow.org`)."""
    plural = {"PodDefault": "poddefaults", "PersistentVolumeClaim": "persistentvolumeclaims"}.get(
        obj["kind"], obj["kind"].lower() + "s"
    )
    group, _, version = obj["apiVersion"].rpartition("/")
    return f"{plural}.{version}.{group}" if group else plural


class Env:
    """The stack, the control plane and the playbooks' variables; state carried from test to test."""

    def __init__(self, stack: Stack, cluster: Cluster, root: Path) -> None:
        self.stack, self.cluster, self.root = stack, cluster, root
        self.backup: Path | None = None
        self.before: dict[str, Any] = {}
        self.upgraded: dict[str, Any] = {}  # the stack's state after the upgrade

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return kubectl(self.cluster.kubeconfig, *args, stdin=stdin)

    def playbook(self, name: str, **extra: Any) -> tuple[subprocess.CompletedProcess[str], float]:
        variables = {
            "platform_upgrade_stack": STACK,
            "platform_upgrade_profile": "kind",
            "platform_upgrade_project_dir": str(REPO),
            "platform_upgrade_stack_dir": str(self.stack.project),
            "platform_upgrade_kubeforge": str(Path(sys.executable).parent / "kubeforge"),
            "platform_upgrade_python": sys.executable,
            # The Automation API runner (no Python language host here), at the harness's tools and backend.
            "platform_upgrade_pulumi": self.stack.runner(),
            "platform_upgrade_pulumi_cli": str(self.stack.tools / "pulumi"),
            "platform_upgrade_kubectl": str(self.cluster.tools / "kubectl"),
            "platform_upgrade_backup_root": str(self.root / "backups"),
            "platform_upgrade_databases": [],  # kwok pods run no MySQL (module docstring)
            "platform_upgrade_check_dashboard": False,  # no gateway pod serves it here
            "platform_upgrade_wait_for_runs": False,  # nothing runs; anything listed would be refused at once
            "platform_upgrade_rollout_timeout": 300,
            "ansible_python_interpreter": sys.executable,
            **extra,
        }
        (self.root / "vars.json").write_text(json.dumps(variables))
        start = time.monotonic()
        out = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-playbook"),
                *("-i", "localhost,", "-c", "local", "-e", f"@{self.root / 'vars.json'}"),
                f"playbooks/{name}",
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={
                **self.stack.env(),
                "KUBECONFIG": str(self.cluster.kubeconfig),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
            },
            timeout=1800,
        )
        n = len(list(self.root.glob(f"{name}-*.log")))
        (self.root / f"{name}-{n}.log").write_text(out.stdout + out.stderr)
        return out, time.monotonic() - start

    def outputs(self) -> dict[str, Any]:
        out = self.stack.cli("stack", "output", "--json")
        assert out.returncode == 0, out.stderr
        return dict(json.loads(out.stdout))

    def uids(self, namespaces: list[str]) -> dict[str, str]:
        """kind/namespace/name -> uid of every stateful object, and of every user object of the teams."""
        found: dict[str, str] = {}
        users = ",".join(sorted({resource(o) for o in user_objects("x")}))
        for where in (["--all-namespaces"], *(["--namespace", ns] for ns in namespaces)):
            out = self.kubectl("get", STATEFUL if where[0] == "--all-namespaces" else users, *where, "--output=json")
            assert out.returncode == 0, out.stderr
            for item in json.loads(out.stdout)["items"]:
                m = item["metadata"]
                found[f"{item['kind']}/{m.get('namespace', '')}/{m['name']}"] = m["uid"]
        return found


def state_index(export: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """group/kind/namespace/name -> the state's resource, for every Kubernetes object the stack manages."""
    index: dict[str, dict[str, Any]] = {}
    for r in export["deployment"]["resources"]:
        out = r.get("outputs") or {}
        if not r["type"].startswith("kubernetes:") or "kind" not in out or r["type"].endswith("ConfigGroup"):
            continue
        meta = out.get("metadata") or {}
        group = str(out.get("apiVersion", "")).rpartition("/")[0]
        index[f"{group}/{out['kind']}/{meta.get('namespace') or ''}/{meta.get('name')}"] = r
    return index


def _tail(out: subprocess.CompletedProcess[str]) -> str:
    return (out.stdout + out.stderr)[-6000:]


@pytest.fixture(scope="module")
def env(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    kubeforge = Path(sys.executable).parent / "kubeforge"
    subprocess.run([str(kubeforge), "fetch"], check=True, capture_output=True)  # the program renders from the cache
    s = Stack(tmp_path_factory.mktemp("pulumi"), cluster.tools, cluster.kubeconfig)
    s.spec = {"release": "v1.11.0", "components": OFF}
    s.setup(TEAMS)
    with SimulatedCertManager(cluster.kubeconfig):
        yield Env(s, cluster, tmp_path_factory.mktemp("upgrade"))


def test_1_install_v1_11_0_with_user_objects(env: Env) -> None:
    start = time.monotonic()
    out = env.stack.run("up", "--yes")
    assert out.returncode == 0, out.stdout[-6000:]
    print(f"v1.11.0 first up wall time: {time.monotonic() - start:.0f} s")
    outputs = env.outputs()
    assert outputs["release"] == "v1.11.0"
    namespaces = sorted({ns for v in outputs["teamNamespaces"].values() for ns in v})
    assert len(namespaces) == 2, outputs["teamNamespaces"]
    for ns in namespaces:
        docs = "\n---\n".join(yaml.safe_dump(o) for o in user_objects(ns))
        applied = env.kubectl("apply", "--server-side", "--field-manager=user", "-f", "-", stdin=docs)
        assert applied.returncode == 0, applied.stderr
    env.before = {"namespaces": namespaces, "uids": env.uids(namespaces), "export": env.stack.export()}
    wanted = {f"{o['kind']}/{ns}/{o['metadata']['name']}" for ns in namespaces for o in user_objects(ns)}
    assert wanted <= set(env.before["uids"]), sorted(wanted - set(env.before["uids"]))
    assert any(k.startswith("PersistentVolumeClaim/kubeflow/") for k in env.before["uids"]), "platform volumes"


def test_2_upgrade_to_26_03(env: Env) -> None:
    out, wall = env.playbook("upgrade-platform.yml", platform_upgrade_to_release="26.03")
    print(f"upgrade-platform wall time: {wall:.0f} s")
    assert out.returncode == 0, _tail(out)
    printed = [line for line in out.stdout.splitlines() if "backup of release v1.11.0: " in line]
    assert printed, _tail(out)
    env.backup = Path(printed[0].split("backup of release v1.11.0: ")[1].strip().strip("'\""))
    assert env.backup.parent == env.root / "backups", env.backup
    assert f"upgraded stack {STACK} to 26.03; backup: {env.backup}" in out.stdout

    # The backup: manifest with a sha256 per file, the stack's state, custom resources and team objects.
    manifest = json.loads((env.backup / "MANIFEST.json").read_text())
    assert manifest["release"] == "v1.11.0" and manifest["stack"] == STACK
    files = manifest["files"]
    assert all(len(digest) == 64 for digest in files.values())
    assert {"stack.json", f"Pulumi.{STACK}.yaml"} <= set(files)
    exported = json.loads((env.backup / "stack.json").read_text())
    assert {r["urn"] for r in exported["deployment"]["resources"]} == {
        r["urn"] for r in env.before["export"]["deployment"]["resources"]
    }
    for crd, name in (("notebooks.kubeflow.org", "nb"), ("experiments.kubeflow.org", "random-search")):
        saved = yaml.safe_load((env.backup / "custom-resources" / f"{crd}.yaml").read_text())["items"]
        assert (
            sorted(o["metadata"]["namespace"] for o in saved if o["metadata"]["name"] == name)
            == env.before["namespaces"]
        ), f"both teams' {crd} are in the backup"
    for ns in env.before["namespaces"]:
        assert f"teams/{ns}.yaml" in files
        kept = {
            (o["kind"], o["metadata"]["name"])
            for o in yaml.safe_load((env.backup / f"teams/{ns}.yaml").read_text())["items"]
        }
        assert {(o["kind"], o["metadata"]["name"]) for o in user_objects(ns)} <= kept

    assert env.outputs()["release"] == "26.03"
    env.upgraded = _same_objects(env, "upgrade", env.before["export"])
    assert env.upgraded["deployment"]["resources"] != env.before["export"]["deployment"]["resources"], "an up ran"
    # Every user object readable at each version the new CRDs serve (conversion None: no webhook needed).
    for ns in env.before["namespaces"]:
        for obj in user_objects(ns):
            group, _, _ = obj["apiVersion"].rpartition("/")
            if not group or "." not in group:
                got = env.kubectl("get", resource(obj), "-n", ns, obj["metadata"]["name"], "-o", "name")
                assert got.returncode == 0, got.stderr
                continue
            plural = resource(obj).split(".")[0]
            crd = json.loads(env.kubectl("get", "crd", f"{plural}.{group}", "-o", "json").stdout)
            strategy = (crd["spec"].get("conversion") or {}).get("strategy", "None")
            versions = [v["name"] for v in crd["spec"]["versions"] if v["served"]]
            if strategy != "None":
                versions = [v["name"] for v in crd["spec"]["versions"] if v["storage"]]
            for version in versions:
                got = env.kubectl("get", f"{plural}.{version}.{group}", "-n", ns, obj["metadata"]["name"], "-o", "json")
                assert got.returncode == 0, f"{obj['kind']} {ns}/{obj['metadata']['name']} at {version}: {got.stderr}"
                assert json.loads(got.stdout)["apiVersion"] == f"{group}/{version}"


def _same_objects(env: Env, step: str, previous: dict[str, Any]) -> dict[str, Any]:
    """No stateful or user object of v1.11.0 replaced or deleted; every object in the states before and after
    the step keeps its URN and is not re-created. Returns the state after the step."""
    uids = env.uids(env.before["namespaces"])
    gone = sorted(k for k in env.before["uids"] if k not in uids)
    assert not gone, f"{step} deleted: {gone[:20]}"
    replaced = sorted(k for k, uid in env.before["uids"].items() if uids[k] != uid)
    assert not replaced, f"{step} replaced: {replaced[:20]}"
    export = env.stack.export()
    old, new = state_index(previous), state_index(export)
    both = sorted(set(old) & set(new))
    assert len(both) > 500, len(both)
    moved = [f"{k}: {old[k]['urn']} -> {new[k]['urn']}" for k in both if old[k]["urn"] != new[k]["urn"]]
    assert not moved, moved[:10]
    recreated = [k for k in both if old[k].get("created") != new[k].get("created")]
    assert not recreated, f"{step} re-created in the state: {recreated[:20]}"
    retained = [k for k in both if old[k].get("retainOnDelete")]
    assert retained, "the stack retains CRDs, volumes and team namespaces"
    assert all(new[k]["outputs"]["metadata"].get("uid") for k in retained), "the state records each object's uid"
    moved_uid = [
        k for k in retained if old[k]["outputs"]["metadata"].get("uid") != new[k]["outputs"]["metadata"].get("uid")
    ]
    assert not moved_uid, f"{step} replaced retained objects: {moved_uid[:20]}"
    return export


def test_3_upgrade_again_changes_nothing(env: Env) -> None:
    out, _ = env.playbook("upgrade-platform.yml", platform_upgrade_to_release="26.03")
    assert out.returncode == 0, _tail(out)
    assert f"stack {STACK} is at release 26.03 already: nothing to do" in out.stdout
    assert "changed=0" in out.stdout, _tail(out)


def test_4_a_tampered_backup_is_refused_before_anything_is_applied(env: Env) -> None:
    assert env.backup is not None
    copy = env.root / "tampered" / env.backup.name
    shutil.copytree(env.backup, copy)
    target = copy / "stack.json"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one changed bit of one byte
    target.write_bytes(bytes(data))
    before = env.stack.export()["deployment"]["manifest"]["time"]
    out, _ = env.playbook("rollback-platform.yml", platform_upgrade_backup_dir=str(copy))
    assert out.returncode != 0, _tail(out)
    assert "rollback stopped at 'Verify every file of the backup against its manifest'" in out.stdout, _tail(out)
    assert "stack.json: sha256 mismatch" in out.stdout + out.stderr
    assert env.stack.export()["deployment"]["manifest"]["time"] == before, "no update ran"
    assert env.outputs()["release"] == "26.03"


def test_5_rollback_to_v1_11_0(env: Env) -> None:
    assert env.backup is not None
    out, wall = env.playbook("rollback-platform.yml", platform_upgrade_backup_dir=str(env.backup))
    print(f"rollback-platform wall time: {wall:.0f} s")
    assert out.returncode == 0, _tail(out)
    assert f"stack {STACK} at release v1.11.0" in out.stdout and f"backup: {env.backup}" in out.stdout
    assert env.outputs()["release"] == "v1.11.0"
    after = state_index(_same_objects(env, "rollback", env.upgraded))
    # Against v1.11.0's state: every object is back, and only what 26.03 dropped was created again.
    before, upgraded = state_index(env.before["export"]), state_index(env.upgraded)
    assert sorted(set(before) - set(after)) == []
    dropped = sorted(set(before) - set(upgraded))
    assert dropped, "26.03 drops Service kubeflow/minio-service (manifests/26.03/upgrade.yaml)"
    again = sorted(k for k in before if before[k].get("created") != after[k].get("created"))
    assert again == dropped
    assert [before[k]["urn"] for k in dropped] == [after[k]["urn"] for k in dropped], "re-created at its old URN"
    # The rollback's `pulumi up` leaves the stack as v1.11.0 renders it: nothing left to change.
    preview = env.stack.run("preview", "--expect-no-changes")
    assert preview.returncode == 0, preview.stdout[-6000:]
