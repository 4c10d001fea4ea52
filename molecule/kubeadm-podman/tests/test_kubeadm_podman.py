"""Testinfra checks of the `kubeadm-podman` scenario: playbooks/site.yml for real on two podman systemd hosts
(`kubeadm init` on the control plane, `kubeadm join` of a worker, the test CNI), the hardening it configured,
observed on the running API server and etcd, and a NetworkPolicy denying a real connection between two pods."""

import json
import shlex
import time
import uuid

import pytest

KUBECTL = "kubectl --kubeconfig /etc/kubernetes/admin.conf"


def _api(host):
    return json.loads(host.check_output(f"{KUBECTL} config view --raw -o json"))["clusters"][0]["cluster"]["server"]


def test_api_server_ready(host):
    assert host.check_output(f"{KUBECTL} get --raw /readyz") == "ok"


def _nodes(host):
    return json.loads(host.check_output(f"{KUBECTL} get nodes -o json"))["items"]


def _ready(node):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])


@pytest.fixture
def nodes(host):
    """Both nodes, once Ready: the CNI's configuration is written when the node's pod CIDR is allocated."""
    deadline = time.monotonic() + 180
    while True:
        items = _nodes(host)
        if len(items) == 2 and all(_ready(n) for n in items):
            return items
        if time.monotonic() > deadline:
            pytest.fail(f"nodes not Ready after 180 s: {[(n['metadata']['name'], _ready(n)) for n in items]}")
        time.sleep(5)


def test_control_plane_and_worker_ready(nodes):
    # Ready needs a CNI: containerd reports NetworkReady only once a configuration is in /etc/cni/net.d.
    roles = sorted("control-plane" in " ".join(n["metadata"]["labels"]) for n in nodes)
    assert roles == [False, True]
    assert [n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes] == ["v1.34.4"] * 2
    assert {n["status"]["nodeInfo"]["containerRuntimeVersion"] for n in nodes} == {"containerd://2.2.1"}
    # Pod CIDRs come from kubeadm's podSubnet (the cni role reads the same variable).
    assert all(n["spec"]["podCIDR"].startswith("10.244.") for n in nodes)


def test_kubelet_serving_certificates_approved(host, nodes):
    # site.yml's last play approves each inventory node's kubelet-serving request (serverTLSBootstrap).
    csrs = json.loads(host.check_output(f"{KUBECTL} get csr -o json"))["items"]
    serving = [c for c in csrs if c["spec"]["signerName"] == "kubernetes.io/kubelet-serving"]
    approved = {c["spec"]["username"] for c in serving if "certificate" in c.get("status", {})}
    assert {f"system:node:{n['metadata']['name']}" for n in nodes} <= approved


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


def _apply(host, obj):
    host.check_output(f"echo {shlex.quote(json.dumps(obj))} | {KUBECTL} apply -f -")


def _pod(ns, name, node, args, labels, restart="Never"):
    container = {
        "name": "netcheck",
        "image": "localhost/kubeforge/test-cni:v1",
        "imagePullPolicy": "Never",
        "command": ["/usr/local/bin/netcheck", *args],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"nodeName": node, "restartPolicy": restart, "containers": [container]},
    }


def _wait(host, ns, name, phases, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        phase = host.check_output(f"{KUBECTL} -n {ns} get pod {name} -o jsonpath={{.status.phase}}")
        if phase in phases:
            return phase
        if time.monotonic() > deadline:
            pytest.fail(f"pod {ns}/{name} still {phase!r} after {timeout} s")
        time.sleep(2)


def _policy_rules(host, name, ip):
    """kube-router's jump from the pod's firewall chain to NetworkPolicy `name`'s chain, for the pod at `ip`
    (written once its informer has the policy; the policy chain stays empty until a source pod matches)."""
    rules = host.run("iptables-save -t filter").stdout
    return [r for r in rules.splitlines() if f"-d {ip}/32" in r and f'"run through nw policy {name}"' in r]


@pytest.fixture
def netpol_namespace(host, nodes):
    """A namespace with a server pod on the control plane; yields (ns, worker node, server IP)."""
    cp = next(
        n["metadata"]["name"] for n in nodes if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"]
    )
    worker = next(n["metadata"]["name"] for n in nodes if n["metadata"]["name"] != cp)
    ns = f"netpol-{uuid.uuid4().hex[:6]}"
    host.check_output(f"{KUBECTL} create namespace {ns}")
    try:
        _apply(host, _pod(ns, "server", cp, ["serve", ":8080"], {"app": "server"}, restart="Always"))
        _wait(host, ns, "server", {"Running"})
        ip = host.check_output(f"{KUBECTL} -n {ns} get pod server -o jsonpath={{.status.podIP}}")
        yield ns, worker, ip
    finally:
        host.run(f"{KUBECTL} delete namespace {ns} --wait=false")


def _connect(host, ns, worker, ip, name, labels, restart="Never"):
    _apply(host, _pod(ns, name, worker, ["connect", f"{ip}:8080"], labels, restart))
    return _wait(host, ns, name, {"Succeeded", "Failed"})


def test_pods_connect_across_nodes(host, netpol_namespace):
    # A client on the worker reaches the server on the control plane: bridge + host-local on each node,
    # routes between the nodes' pod CIDRs.
    ns, worker, ip = netpol_namespace
    assert ip.startswith("10.244.")
    assert _connect(host, ns, worker, ip, "client", {}) == "Succeeded"


def test_network_policy_denies_a_real_connection(host, netpol_namespace):
    """After a NetworkPolicy admitting only labelled clients, an unlabelled client's connection is refused
    (kube-router's REJECT) and a labelled one still connects."""
    ns, worker, ip = netpol_namespace
    assert _connect(host, ns, worker, ip, "before", {}) == "Succeeded"
    _apply(
        host,
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "server-ingress", "namespace": ns},
            "spec": {
                "podSelector": {"matchLabels": {"app": "server"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "allowed"}}}]}],
            },
        },
    )
    # kube-router writes the policy's chain on the server's node once its informer has the event.
    deadline = time.monotonic() + 60
    while not _policy_rules(host, "server-ingress", ip):
        if time.monotonic() > deadline:
            pytest.fail(f"kube-router wrote no iptables rule for {ns}/server-ingress in 60 s")
        time.sleep(2)
    assert _connect(host, ns, worker, ip, "denied", {}) == "Failed"
    # Exit 1 is netcheck's failed connection (2 would be a usage error).
    code = host.check_output(
        f"{KUBECTL} -n {ns} get pod denied -o jsonpath={{.status.containerStatuses[0].state.terminated.exitCode}}"
    )
    assert code == "1"
    # kube-router adds a new pod's IP to the policy's source set on the pod's event: a client connecting at
    # once can race it, so the allowed client may retry (the same pod, the same IP).
    assert _connect(host, ns, worker, ip, "allowed", {"access": "allowed"}, restart="OnFailure") == "Succeeded"


def test_service_cluster_ip_routes(host, netpol_namespace):
    """kube-proxy (iptables mode, on the Debian base image) routes a ClusterIP Service to its pod across
    nodes, and the kubernetes Service to the API server."""
    ns, worker, _ = netpol_namespace
    _apply(
        host,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "server", "namespace": ns},
            "spec": {"selector": {"app": "server"}, "ports": [{"port": 8080}]},
        },
    )
    cluster_ip = host.check_output(f"{KUBECTL} -n {ns} get service server -o jsonpath={{.spec.clusterIP}}")
    assert cluster_ip.startswith("10.")
    api = host.check_output(f"{KUBECTL} -n default get service kubernetes -o jsonpath={{.spec.clusterIP}}")
    deadline = time.monotonic() + 60
    while host.run(f"curl -sk -m 5 https://{api}/readyz").stdout != "ok":
        if time.monotonic() > deadline:
            pytest.fail(f"the kubernetes Service ({api}:443) does not reach the API server after 60 s")
        time.sleep(2)
    assert _connect(host, ns, worker, cluster_ip, "via-service", {}) == "Succeeded"
