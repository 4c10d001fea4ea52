"""playbooks/upgrade-nodes.yml for real on the scenario's cluster, v1.34.4 -> v1.35.4 and containerd 2.1.9 -> 2.2.1
(this module runs after test_kubeadm_podman.py, which checks the cluster site.yml made).

Run 1, a planted drain failure: a PodDisruptionBudget no eviction from the worker can satisfy. The control planes
are upgraded one at a time (kubeadm upgrade apply on the first, kubeadm upgrade node on the other two), the
worker's drain times out, the rescue uncordons it and the play stops.
Run 2, the same command once that budget is gone and another makes the worker's drain wait for a replacement
pod: the control planes are left alone (already at the target), the worker waits, is upgraded and uncordoned.
Both runs are an operator's command line: the scenario's inventory, the target and this host's exceptions."""

import hashlib
import json
import os
import re
import time
from typing import Any

import pytest
from kubeadm_cluster import (
    CONTROL_PLANES,
    KUBECTL,
    apply,
    assert_network_policy_denies,
    connect,
    get_nodes,
    is_control_plane,
    is_ready,
    netcheck_container,
    node_host,
    ready_nodes,
    run_playbook,
    server_namespace,
)

TARGET = "1.35.4"
CONTAINERD = "2.2.1"
NS = "upgrade-test"


def _containerd_vars() -> dict[str, Any]:
    """The containerd role's target, as an operator passes a new pin: the archive prepare.yml packed (file://)."""
    archive = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "files", f"containerd-{CONTAINERD}.tar.gz")
    with open(archive, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return {
        "node_upgrade_containerd": True,
        "containerd_archive_version": CONTAINERD,
        "containerd_archive_url": f"file:///root/containerd-{CONTAINERD}.tar.gz",
        "containerd_archive_sha256": digest,
    }


def _extra_vars(backup_dir: str, **more: Any) -> list[str]:
    extra = {
        "node_upgrade_kubernetes_version": TARGET,
        "node_upgrade_backup_dir": backup_dir,
        # This CI kernel runs hybrid cgroups (v1); kubelets run with failCgroupV1 off (molecule.yml).
        "node_upgrade_require_cgroup_v2": False,
        # No /proc/config.gz in the VM, and cgroup v1 (SystemVerification); kubeadm 1.35's Corefile migration
        # knows CoreDNS up to its own v1.13.1, not the v1.14.3 built here (CoreDNSUnsupportedPlugins,
        # CoreDNSMigration: "start version '1.14.3' not supported"; the Corefile is kubeadm's own, unchanged).
        "node_upgrade_kubeadm_ignore_preflight_errors": [
            "SystemVerification",
            "CoreDNSUnsupportedPlugins",
            "CoreDNSMigration",
        ],
        # For the same reason its CoreDNS phase refuses to run ("start version '1.14.3' not supported"): CoreDNS
        # keeps the tag the inventory pins, as etcd does.
        "node_upgrade_kubeadm_skip_phases": ["addon/coredns"],
        **_containerd_vars(),
        **more,
    }
    return ["-e", json.dumps(extra)]


def _plain(result: Any) -> str:
    """A playbook's output without colour codes: molecule sets ANSIBLE_FORCE_COLOR, and each line a long message
    wraps onto is coloured on its own."""
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)


def _said(result: Any) -> str:
    """A playbook's output with whitespace collapsed (Ansible's YAML output folds long messages)."""
    return " ".join(_plain(result).split())


def _changed(result: Any, task: str, role: str = "node_upgrade") -> list[str]:
    """The hosts (inventory names: the containers', which are also their node names) a task of a role changed,
    in order; each TASK header starts a section."""
    hosts: list[str] = []
    for section in re.split(r"\n(?=TASK \[)", _plain(result)):
        if section.startswith(f"TASK [{role} : {task}]"):
            hosts += re.findall(r"^changed: \[([^\]\s]+)", section, re.M)
    return hosts


def _deployment(name: str, replicas: int, node_selector: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [netcheck_container(["serve", ":8080"])], "terminationGracePeriodSeconds": 1}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def _budget(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": name}}, **spec},
    }


def _wait_available(host: Any, name: str) -> None:
    host.check_output(f"{KUBECTL} -n {NS} rollout status deployment/{name} --timeout=120s")


def _pod_nodes(host: Any, name: str) -> list[str]:
    pods = json.loads(host.check_output(f"{KUBECTL} -n {NS} get pods -l app={name} -o json"))["items"]
    return sorted(p["spec"].get("nodeName", "") for p in pods)


def _node_states(host: Any) -> dict[str, dict[str, Any]]:
    return {
        n["metadata"]["name"]: {
            "control_plane": is_control_plane(n),
            "kubelet": n["status"]["nodeInfo"]["kubeletVersion"],
            "runtime": n["status"]["nodeInfo"]["containerRuntimeVersion"],
            "unschedulable": bool(n["spec"].get("unschedulable")),
            "ready": is_ready(n),
        }
        for n in get_nodes(host)
    }


def _wait_for_test_namespaces_gone(host: Any) -> None:
    """The earlier tests' bare pods (no controller) would make any drain refuse; their namespaces go first."""
    deadline = time.monotonic() + 120
    while "namespace/netpol-" in host.check_output(f"{KUBECTL} get namespaces -o name"):
        if time.monotonic() > deadline:
            pytest.fail("the earlier tests' netpol-* namespaces are still there after 120 s")
        time.sleep(3)


@pytest.fixture(scope="module")
def upgrade(host):
    """Both runs; what each printed and the nodes after it."""
    backup = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "upgrade-backup")
    nodes = ready_nodes(host)
    cps = [n["metadata"]["name"] for n in nodes if is_control_plane(n)]
    worker = next(n["metadata"]["name"] for n in nodes if not is_control_plane(n))
    _wait_for_test_namespaces_gone(host)
    host.check_output(f"{KUBECTL} create namespace {NS}")

    # The planted failure: one replica held on the worker and a budget allowing no disruption at all.
    apply(host, _deployment("pinned", 1, {"kubernetes.io/hostname": worker}))
    apply(host, _budget("pinned", minAvailable=1))
    _wait_available(host, "pinned")
    first = run_playbook(
        "upgrade-nodes.yml", *_extra_vars(backup, node_upgrade_drain_timeout="30s", node_upgrade_drain_retries=1)
    )
    after_first = _node_states(host)

    # The budget that makes the drain wait: two replicas, both on the worker (the control planes cordoned while
    # they start), at most one unavailable; the second eviction waits until the first one's replacement is
    # Ready on a control plane.
    host.check_output(f"{KUBECTL} -n {NS} delete deployment/pinned poddisruptionbudget/pinned --wait=true")
    host.check_output(f"{KUBECTL} cordon {' '.join(cps)}")
    try:
        apply(host, _deployment("waiter", 2))
        apply(host, _budget("waiter", maxUnavailable=1))
        _wait_available(host, "waiter")
    finally:
        host.check_output(f"{KUBECTL} uncordon {' '.join(cps)}")
    placed = _pod_nodes(host, "waiter")
    second = run_playbook("upgrade-nodes.yml", *_extra_vars(backup))
    return {
        "cps": cps,
        "worker": worker,
        "backup": backup,
        "first": first,
        "after_first": after_first,
        "waiter_placed": placed,
        "second": second,
    }


def test_planted_drain_failure_uncordons_the_node_and_stops(upgrade):
    first, states = upgrade["first"], upgrade["after_first"]
    assert first.returncode == 2, first.stdout[-4000:]
    assert "failed at 'Cordon and drain the node'" in _said(first), first.stdout[-4000:]
    assert "The node is uncordoned; no further node is upgraded." in _said(first)
    # The worker is back in service at its old version; the control planes had been upgraded before it.
    assert states[upgrade["worker"]] == {
        "control_plane": False,
        "kubelet": "v1.34.4",
        "runtime": "containerd://2.1.9",
        "unschedulable": False,
        "ready": True,
    }
    assert len(upgrade["cps"]) == len(CONTROL_PLANES)
    for cp in upgrade["cps"]:
        assert states[cp]["kubelet"] == f"v{TARGET}", cp
        assert states[cp]["runtime"] == f"containerd://{CONTAINERD}", cp
        assert not states[cp]["unschedulable"], cp
    # One after another: the first with kubeadm upgrade apply, the other two with kubeadm upgrade node.
    assert _changed(first, "Upgrade the cluster from the first control plane") == [upgrade["cps"][0]]
    assert _changed(first, "Upgrade this node's configuration (other control planes and workers)") == upgrade["cps"][1:]
    # containerd too, on each control plane while it was drained; the worker stopped before it.
    assert _changed(first, "Unpack containerd, its runc shim and ctr", role="containerd") == upgrade["cps"]


def test_etcd_snapshot_and_encryption_key_saved_before_the_upgrade(upgrade):
    snapshot = os.path.join(upgrade["backup"], "kubeforge-pre-upgrade.db")
    key = os.path.join(upgrade["backup"], "encryption-config.yaml")
    assert os.path.getsize(snapshot) > 0
    with open(key, encoding="utf-8") as f:
        assert "kind: EncryptionConfiguration" in f.read()


def test_rerun_waits_for_the_budget_and_finishes(upgrade):
    second = upgrade["second"]
    assert upgrade["waiter_placed"] == [upgrade["worker"]] * 2
    assert second.returncode == 0, second.stdout[-4000:]
    # The control planes already run both targets: not drained again.
    assert _said(second).count(f"already runs kubelet v{TARGET} and containerd {CONTAINERD}: not drained.") == len(
        CONTROL_PLANES
    )
    # Only the worker's containerd changed in this run.
    assert _changed(second, "Unpack containerd, its runc shim and ctr", role="containerd") == [upgrade["worker"]]

    # kubectl drain retried the eviction the budget refused (the playbook reports it).
    assert f"The drain of {upgrade['worker']} waited for a PodDisruptionBudget" in _said(second), second.stdout[-4000:]


def test_every_node_ready_uncordoned_at_the_target(host, upgrade):
    states = _node_states(host)
    assert {s["kubelet"] for s in states.values()} == {f"v{TARGET}"}
    # The kubelet reads the runtime's version over CRI: the new containerd is the one serving it.
    assert {s["runtime"] for s in states.values()} == {f"containerd://{CONTAINERD}"}
    assert all(s["ready"] and not s["unschedulable"] for s in states.values()), states
    assert host.check_output(f"{KUBECTL} version -o json").count(f'"gitVersion": "v{TARGET}"') == 2  # client and server


def test_control_plane_static_pods_run_the_target(host, upgrade):
    pods = json.loads(host.check_output(f"{KUBECTL} -n kube-system get pods -o json"))["items"]

    def images(component: str) -> list[str]:
        return [
            p["spec"]["containers"][0]["image"] for p in pods if p["metadata"]["labels"].get("component") == component
        ]

    # On every control plane.
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert images(component) == [f"registry.k8s.io/{component}:v{TARGET}"] * len(CONTROL_PLANES)
    # etcd keeps the image tag the role pins (kubeadm upgrades it only when the tag is its own default).
    assert images("etcd") == ["registry.k8s.io/etcd:3.6.4-0"] * len(CONTROL_PLANES)


@pytest.mark.parametrize("which", ["cp1", "cp2", "w1"])
def test_packages_moved_to_the_next_minors_repository(host, upgrade, which):
    node = node_host(host, which)
    for package in ("kubeadm", "kubelet", "kubectl"):
        assert node.check_output(f"dpkg-query -W -f '${{Version}}' {package}") == f"{TARGET}-1.1"
    assert set(node.check_output("apt-mark showhold").split()) >= {"kubeadm", "kubelet", "kubectl"}
    assert "/v1.35/deb/" in node.file("/etc/apt/sources.list.d/kubernetes.sources").content_string


@pytest.mark.parametrize("which", ["cp1", "cp3", "w1"])
def test_containerd_replaced_from_the_new_archive(host, upgrade, which):
    node = node_host(host, which)
    assert f" v{CONTAINERD} " in node.check_output("/usr/local/bin/containerd --version")
    assert node.service("containerd").is_running
    # The server side: the daemon answering on the socket is the new one.
    assert re.search(
        rf"Server:\s+Version:\s+v{re.escape(CONTAINERD)}\b", node.check_output("/usr/local/bin/ctr version")
    )


def test_workloads_and_network_policy_after_the_upgrade(host, upgrade):
    """The waiting budget's pods are all back, and the upgraded cluster still routes and enforces policy."""
    _wait_available(host, "waiter")
    nodes = ready_nodes(host)
    with server_namespace(host, nodes) as (ns, worker, ip):
        assert connect(host, ns, worker, ip, "client", {}) == "Succeeded"
        assert_network_policy_denies(host, ns, worker, ip)
