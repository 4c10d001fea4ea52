"""Testinfra checks of the `kubeadm-podman` scenario: a real `kubeadm init` (through kubeadm_control_plane)
on a podman systemd host, and the hardening it configured, observed on the running API server and etcd."""

import json
import time
import uuid

KUBECTL = "kubectl --kubeconfig /etc/kubernetes/admin.conf"


def _api(host):
    return json.loads(host.check_output(f"{KUBECTL} config view --raw -o json"))["clusters"][0]["cluster"]["server"]


def test_api_server_ready(host):
    assert host.check_output(f"{KUBECTL} get --raw /readyz") == "ok"


def test_node_registered_by_the_kubelet(host):
    nodes = json.loads(host.check_output(f"{KUBECTL} get nodes -o json"))["items"]
    assert [n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes] == ["v1.34.4"]
    assert nodes[0]["status"]["nodeInfo"]["containerRuntimeVersion"] == "containerd://2.2.1"


def test_static_control_plane_pods_running(host):
    pods = json.loads(host.check_output(f"{KUBECTL} -n kube-system get pods -o json"))["items"]
    phases = {p["metadata"]["labels"].get("component"): p["status"]["phase"] for p in pods}
    for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert phases.get(component) == "Running", phases


def test_anonymous_only_on_health_paths(host):
    api = _api(host)
    assert host.check_output(f"curl -sk -o /dev/null -w '%{{http_code}}' {api}/readyz") == "200"
    assert host.check_output(f"curl -sk -o /dev/null -w '%{{http_code}}' {api}/api/v1/namespaces") == "401"


def test_secrets_encrypted_at_rest_in_etcd(host):
    canary = f"kubeforge-canary-{uuid.uuid4().hex}"
    name = f"probe-{canary[-8:]}"
    host.check_output(f"{KUBECTL} -n default create secret generic {name} --from-literal=k={canary}")
    try:
        time.sleep(3)  # etcd commits its batch to the bbolt file within ~100 ms
        db = "/var/lib/etcd/member/snap/db"
        assert host.run(f"grep -c -a {canary} {db}").stdout.strip() == "0"
        record = host.check_output(f"grep -a -o 'k8s:enc:[a-z]*:v1:[^:]*:' {db} | sort -u")
        assert "k8s:enc:" in record
    finally:
        host.run(f"{KUBECTL} -n default delete secret {name}")


def test_requests_audited(host):
    host.check_output(f"{KUBECTL} get namespaces")
    log = host.file("/var/log/kubernetes/audit/audit.log")
    assert log.exists and log.size > 0
    last = json.loads(log.content_string.strip().splitlines()[-1])
    assert last["kind"] == "Event"
