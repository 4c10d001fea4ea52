"""Testinfra checks of the `kubeadm-podman` scenario: playbooks/site.yml for real on four podman systemd hosts
(`kubeadm init` on the first control plane, two control-plane joins, `kubeadm join` of a worker, the test
CNI), the hardening it configured, observed on the running API server and etcd, and a NetworkPolicy denying
a real connection between two pods. test_ha_control_plane.py checks the three control planes as one."""

import json
import re
import time
import uuid

import pytest
from kubeadm_cluster import (
    CONTROL_PLANES,
    KUBECTL,
    NODE_COUNT,
    TEST_IMAGE,
    address,
    assert_network_policy_denies,
    connect,
    ready_nodes,
    run_playbook,
    server_namespace,
    server_service,
    worker_host,
)


def _api(host):
    return json.loads(host.check_output(f"{KUBECTL} config view --raw -o json"))["clusters"][0]["cluster"]["server"]


def test_api_server_ready(host):
    assert host.check_output(f"{KUBECTL} get --raw /readyz") == "ok"


@pytest.fixture
def nodes(host):
    return ready_nodes(host)


def test_control_planes_and_worker_ready(nodes):
    # Ready needs a CNI: containerd reports NetworkReady only once a configuration is in /etc/cni/net.d.
    roles = sorted("control-plane" in " ".join(n["metadata"]["labels"]) for n in nodes)
    assert roles == [False, True, True, True]
    assert [n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes] == ["v1.34.4"] * NODE_COUNT
    # The previous containerd minor (molecule.yml): upgrade-nodes.yml moves it to 2.2.1.
    assert {n["status"]["nodeInfo"]["containerRuntimeVersion"] for n in nodes} == {"containerd://2.1.9"}
    # Pod CIDRs come from kubeadm's podSubnet (the cni role reads the same variable).
    assert all(n["spec"]["podCIDR"].startswith("10.244.") for n in nodes)


def test_images_pulled_from_the_registry_on_the_test_network(host, nodes):
    # prepare.yml pushed the images to Debian's docker-registry on cp1; nothing was imported into containerd.
    worker = worker_host(host)
    hosts_toml = worker.file("/etc/containerd/certs.d/registry.k8s.io/hosts.toml").content_string
    assert f'[host."http://{address(host)}:5000"]' in hosts_toml
    assert "server =" not in hosts_toml  # mirror only: no fallback to registry.k8s.io
    assert not worker.file("/root/images.tar").exists
    pulled = worker.check_output("ctr -n k8s.io images ls -q").split()
    assert "registry.k8s.io/kube-proxy:v1.34.4" in pulled
    assert TEST_IMAGE in pulled
    # The registry's own request log (journald): the worker asked it for kube-proxy's manifest.
    log = host.check_output("journalctl -u docker-registry --no-pager -o cat")
    worker_ip = re.escape(address(worker))
    asked = re.compile(rf"{worker_ip}\b.*/v2/kube-proxy/manifests/|/v2/kube-proxy/manifests/.*{worker_ip}:")
    lines = [line for line in log.splitlines() if asked.search(line)]
    assert lines, [line for line in log.splitlines() if "/v2/kube-proxy/" in line][:5]


def test_kubelet_serving_certificates_approved(host, nodes):
    # site.yml's last play approves each inventory node's kubelet-serving request (serverTLSBootstrap).
    csrs = json.loads(host.check_output(f"{KUBECTL} get csr -o json"))["items"]
    serving = [c for c in csrs if c["spec"]["signerName"] == "kubernetes.io/kubelet-serving"]
    approved = {c["spec"]["username"] for c in serving if "certificate" in c.get("status", {})}
    assert {f"system:node:{n['metadata']['name']}" for n in nodes} <= approved


def test_static_control_plane_pods_running(host):
    pods = json.loads(host.check_output(f"{KUBECTL} -n kube-system get pods -o json"))["items"]
    for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        phases = [p["status"]["phase"] for p in pods if p["metadata"]["labels"].get("component") == component]
        # One per control plane.
        assert phases == ["Running"] * len(CONTROL_PLANES), (component, phases)


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


@pytest.fixture
def netpol_namespace(host, nodes):
    """A namespace with a server pod on the control plane; yields (ns, worker node, server IP)."""
    with server_namespace(host, nodes) as found:
        yield found


def test_pods_connect_across_nodes(host, netpol_namespace):
    # A client on the worker reaches the server on the control plane: bridge + host-local on each node,
    # routes between the nodes' pod CIDRs.
    ns, worker, ip = netpol_namespace
    assert ip.startswith("10.244.")
    assert connect(host, ns, worker, ip, "client", {}) == "Succeeded"


def test_network_policy_denies_a_real_connection(host, netpol_namespace):
    """After a NetworkPolicy admitting only labelled clients, an unlabelled client's connection is refused
    (kube-router's REJECT) and a labelled one still connects."""
    assert_network_policy_denies(host, *netpol_namespace)


def test_service_cluster_ip_routes(host, netpol_namespace):
    """kube-proxy (iptables mode, on the Debian base image) routes a ClusterIP Service to its pod across
    nodes, and the kubernetes Service to the API server."""
    ns, worker, _ = netpol_namespace
    cluster_ip = server_service(host, ns)
    assert cluster_ip.startswith("10.")
    api = host.check_output(f"{KUBECTL} -n default get service kubernetes -o jsonpath={{.spec.clusterIP}}")
    deadline = time.monotonic() + 60
    while host.run(f"curl -sk -m 5 https://{api}/readyz").stdout != "ok":
        if time.monotonic() > deadline:
            pytest.fail(f"the kubernetes Service ({api}:443) does not reach the API server after 60 s")
        time.sleep(2)
    assert connect(host, ns, worker, cluster_ip, "via-service", {}) == "Succeeded"


@pytest.mark.parametrize("which", ["control plane", "worker"])
def test_packages_from_the_signed_repository(host, which):
    """kubernetes_node installed kubeadm, kubelet and kubectl from the signed per-minor repository (apt
    verified InRelease against the pinned key) and holds them."""
    node = host if which == "control plane" else worker_host(host)
    for package in ("kubeadm", "kubelet", "kubectl"):
        assert node.check_output(f"dpkg-query -W -f '${{Version}}' {package}") == "1.34.4-1.1"
    assert set(node.check_output("apt-mark showhold").split()) >= {"kubeadm", "kubelet", "kubectl"}
    source = node.file("/etc/apt/sources.list.d/kubernetes.sources").content_string
    assert "/v1.34/deb/" in source
    assert "Signed-By: /etc/apt/keyrings/kubernetes-apt-keyring.asc" in source
    # apt accepted the repository's signature: its index is in apt's lists (a bad signature leaves none).
    assert node.run("ls /var/lib/apt/lists/ | grep -c '_v1.34_deb_Packages'").stdout.strip() == "1"


def test_a_key_other_than_the_pinned_one_is_refused(host):
    """The same role with another fingerprint pinned: the served key is removed and the run stops."""
    cp_ip = address(host)
    worker = worker_host(host)
    # The worker's kubernetes_node tasks alone; the control plane's facts are not gathered, so its address (the
    # apt repositories' and the registry's, which every role's argument check reads) is given.
    only_the_role = ["--tags", "kubernetes_node", "--limit", "kube_node", "-e", f"kubeadm_podman_cp_address={cp_ip}"]
    result = run_playbook("site.yml", *only_the_role, "-e", "kubernetes_node_repo_key_fingerprint=" + "0" * 40)
    try:
        assert result.returncode == 2, result.stdout[-3000:]
        assert "not the pinned 0000000000000000000000000000000000000000" in result.stdout
        assert "refused" in result.stdout
        assert not worker.file("/etc/apt/keyrings/kubernetes-apt-keyring.asc").exists
    finally:
        # Put the pinned key back (the inventory's fingerprint), as the next site.yml run would.
        restored = run_playbook("site.yml", *only_the_role)
        assert restored.returncode == 0, restored.stdout[-3000:]
    assert worker.file("/etc/apt/keyrings/kubernetes-apt-keyring.asc").exists


def test_cluster_dns_resolves_a_service(host, netpol_namespace):
    """CoreDNS (e2e/tools/coredns, kubeadm's addon) answers the pods' lookups: a client on the worker reaches
    the server through its Service's DNS name."""
    ns, worker, _ = netpol_namespace
    host.check_output(f"{KUBECTL} -n kube-system rollout status deployment/coredns --timeout=120s")
    image = host.check_output(
        f"{KUBECTL} -n kube-system get deployment coredns -o jsonpath={{.spec.template.spec.containers[0].image}}"
    )
    assert image == "registry.k8s.io/coredns/coredns:v1.14.3"
    server_service(host, ns)
    # kube-proxy programs a new Service's rules a moment after it is created: the client may retry.
    name = f"server.{ns}.svc.cluster.local"
    assert connect(host, ns, worker, name, "via-dns", {}, restart="OnFailure") == "Succeeded"
