"""The harness's control plane is the real thing: version, kwok nodes with the roles' GPU labels,
RBAC, Pod Security admission from the role's AdmissionConfiguration, the role's audit policy."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from e2e.harness.cluster import KUBE_MINOR, Cluster


def test_server_reports_its_real_version(cluster: Cluster) -> None:
    # pulumi-kubernetes refuses a server whose /version is v0.0.0: the ldflags must have landed.
    version = json.loads(cluster.kubectl("get", "--raw", "/version"))
    assert version["gitVersion"].startswith("v1.34.")
    assert (version["major"], version["minor"]) == ("1", "34")


def test_two_cpu_nodes_and_one_gpu_node_with_the_roles_labels(cluster: Cluster) -> None:
    nodes = {n["metadata"]["name"]: n for n in json.loads(cluster.kubectl("get", "nodes", "-o", "json"))["items"]}
    assert sorted(nodes) == ["cpu-0", "cpu-1", "gpu-0"]
    for n in nodes.values():
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])
    gpu = nodes["gpu-0"]
    assert gpu["status"]["allocatable"]["nvidia.com/gpu"] == "8"
    # roles/nvidia_driver's node_labels() of the real H200 nvidia-smi output
    assert gpu["metadata"]["labels"]["nvidia.com/gpu.product"].startswith("NVIDIA-H200")
    assert gpu["metadata"]["labels"]["nvidia.com/gpu.present"] == "true"
    assert "nvidia.com/gpu" not in nodes["cpu-0"]["status"]["allocatable"]


def test_rbac_is_enforced(cluster: Cluster) -> None:
    out = subprocess.run(
        [
            "kubectl",
            f"--kubeconfig={cluster.kubeconfig}",
            "auth",
            "can-i",
            "create",
            "pods",
            "--as=system:serviceaccount:default:default",
        ],
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "no"


def test_pod_security_baseline_is_enforced_by_default(cluster: Cluster) -> None:
    # The role's AdmissionConfiguration defaults: enforce baseline where a namespace has no labels.
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "privileged", "namespace": "psa"},
        "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]},
    }
    cluster.kubectl("create", "namespace", "psa")  # no pod-security labels: the defaults apply
    for _ in range(100):  # the ServiceAccount admission needs the controller-made default account
        if (
            subprocess.run(
                ["kubectl", f"--kubeconfig={cluster.kubeconfig}", "-n", "psa", "get", "sa", "default"],
                capture_output=True,
            ).returncode
            == 0
        ):
            break
        time.sleep(0.2)
    out = subprocess.run(
        ["kubectl", f"--kubeconfig={cluster.kubeconfig}", "apply", "-f", "-"],
        input=json.dumps(pod),
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    # The role pins each mode's version to the cluster's minor, so an upgrade never tightens it silently.
    assert f'violates PodSecurity "baseline:v{KUBE_MINOR}"' in out.stderr


@pytest.mark.parametrize("verb", ["create"])
def test_writes_reach_the_role_audit_log(cluster: Cluster, verb: str) -> None:
    cluster.kubectl("create", "namespace", "audited")
    events = [json.loads(line) for line in (cluster.dir / "logs" / "audit.log").read_text().splitlines()]
    hits = [e for e in events if e["verb"] == verb and e.get("objectRef", {}).get("name") == "audited"]
    assert hits and hits[0]["level"] == "Request"  # the role's policy: request bodies for every write


def test_pods_stay_ready_on_kwok_nodes(cluster: Cluster) -> None:
    # Without kwok's node leases the node lifecycle controller marked every pod NotReady ~5 s after
    # kwok made it Ready, so no Deployment ever stayed Available (seen on this harness).
    cluster.kubectl("create", "namespace", "ready")
    cluster.kubectl("-n", "ready", "create", "deployment", "web", "--image=nginx")
    cluster.kubectl("-n", "ready", "wait", "--for=condition=Available", "deployment/web", "--timeout=60s")
    time.sleep(12)  # two node-monitor periods: the controller has looked at the nodes again
    pods = json.loads(cluster.kubectl("-n", "ready", "get", "pods", "-o", "json"))["items"]
    assert pods
    for pod in pods:
        ready = [c for c in pod["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True"
