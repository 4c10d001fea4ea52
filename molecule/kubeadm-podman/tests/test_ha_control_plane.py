"""The three control planes site.yml made, as one highly available control plane: api_lb's VIP in front of
every client, stacked etcd with three voting members, the certificates uploaded by `kubeadm init
--upload-certs` and one encryption key on every API server; and the API still answering, writes included,
while the first control plane's API server, etcd and keepalived are stopped (this module runs before
test_kubeadm_podman.py, which waits for every node Ready again)."""

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from kubeadm_cluster import CONTROL_PLANES, KUBECTL, address, node_host, node_name, worker_host

ETCDCTL = (
    "etcdctl --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt"
    " --key=/etc/kubernetes/pki/etcd/server.key"
)


def _vip(host: Any) -> str:
    conf = host.file("/etc/keepalived/keepalived.conf").content_string
    return re.search(r"^\s+(\d+\.\d+\.\d+\.\d+)/32 dev", conf, re.M).group(1)


def _server(host: Any, kubeconfig: str) -> str:
    return host.check_output(f"awk '/server:/ {{print $2}}' {kubeconfig}")


def _etcd_command(host: Any, args: str) -> str:
    """etcdctl in the host's etcd pod, against its own member (the etcd image carries etcdctl)."""
    return f"{KUBECTL} -n kube-system exec etcd-{node_name(host)} -- {ETCDCTL} {args}"


def _etcd(host: Any, args: str) -> str:
    return host.check_output(_etcd_command(host, args))


def _wait(what: str, check: Callable[[], bool], timeout: int = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not after {timeout} s")
        time.sleep(2)


def _holds_vip(host: Any, vip: str) -> bool:
    return f"inet {vip}/32" in host.check_output("ip -4 addr show")


def test_every_client_reaches_the_api_through_the_vip(host):
    vip = _vip(host)
    endpoint = f"https://{vip}:8443"
    for which in CONTROL_PLANES:
        node = node_host(host, which)
        assert _server(node, "/etc/kubernetes/admin.conf") == endpoint, which
    assert _server(worker_host(host), "/etc/kubernetes/kubelet.conf") == endpoint
    proxy = host.check_output(
        f"{KUBECTL} -n kube-system get configmap kube-proxy -o jsonpath='{{.data.kubeconfig\\.conf}}'"
    )
    assert f"server: {endpoint}" in proxy
    # The first control plane has keepalived's highest priority; HAProxy balances all three API servers.
    assert _holds_vip(host, vip)
    servers = re.findall(
        r"^\s+server (\S+) (\S+):6443 check", host.file("/etc/haproxy/haproxy.cfg").content_string, re.M
    )
    assert sorted(ip for _, ip in servers) == sorted(address(node_host(host, w)) for w in CONTROL_PLANES)


def test_stacked_etcd_has_three_voting_members(host):
    members = json.loads(_etcd(host, "member list -w json"))["members"]
    assert sorted(m["name"] for m in members) == sorted(node_name(node_host(host, w)) for w in CONTROL_PLANES)
    # Joined as learners (kubeadm's EtcdLearnerMode), then promoted: every member votes.
    assert not any(m.get("isLearner") for m in members)
    health = json.loads(_etcd(host, "endpoint health --cluster -w json"))
    assert len(health) == len(CONTROL_PLANES) and all(h["health"] for h in health), health


def test_joined_control_planes_share_the_uploaded_certificates(host):
    """kubeadm join --control-plane took the CAs and service-account key from the kubeadm-certs Secret
    (--upload-certs, the certificate key): the same files on every control plane."""
    files = "/etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/sa.pub /etc/kubernetes/pki/front-proxy-ca.crt /etc/kubernetes/pki/etcd/ca.crt"
    sums = {w: node_host(host, w).check_output(f"sha256sum {files}") for w in CONTROL_PLANES}
    assert len(set(sums.values())) == 1, sums


def test_every_api_server_holds_the_same_encryption_key(host):
    """The same encryption configuration on each control plane: a Secret one API server encrypted, another
    one decrypts."""
    path = "/etc/kubernetes/kubeforge/encryption-config.yaml"
    sums = {w: node_host(host, w).check_output(f"sha256sum {path}").split()[0] for w in CONTROL_PLANES}
    assert len(set(sums.values())) == 1, sums
    cp2, cp3 = (node_host(host, w) for w in ("cp2", "cp3"))
    value = uuid.uuid4().hex
    name = f"ha-probe-{value[:8]}"
    cp2.check_output(
        f"{KUBECTL} --server https://{address(cp2)}:6443 -n default create secret generic {name} --from-literal=k={value}"
    )
    try:
        read = cp3.check_output(
            f"{KUBECTL} --server https://{address(cp3)}:6443 -n default get secret {name} -o jsonpath={{.data.k}} | base64 -d"
        )
        assert read == value
    finally:
        host.run(f"{KUBECTL} -n default delete secret {name}")


def test_the_api_answers_and_writes_with_the_first_control_plane_down(host):
    """The first control plane's API server and etcd stopped (their static pod manifests moved away) and its
    keepalived stopped: the VIP moves to the second, HAProxy there skips the stopped API server, and etcd
    keeps a quorum of two; then everything is put back."""
    cp2 = node_host(host, "cp2")
    vip, first = _vip(host), address(host)
    parked = "/etc/kubernetes/kubeforge-test-parked"
    manifests = [f"/etc/kubernetes/manifests/{m}.yaml" for m in ("kube-apiserver", "etcd")]
    name = f"ha-probe-{uuid.uuid4().hex[:8]}"
    host.check_output(f"mkdir -p {parked} && systemctl stop keepalived && mv {' '.join(manifests)} {parked}/")
    try:
        _wait("the VIP on the second control plane", lambda: _holds_vip(cp2, vip), timeout=30)
        _wait(
            "the first API server stopped",
            lambda: host.run(f"curl -sk -m 3 https://{first}:6443/readyz").rc != 0,
        )

        # Five answers in a row through the VIP: HAProxy has marked the stopped API server down.
        streak = {"n": 0}

        def answers() -> bool:
            ok = cp2.run(f"{KUBECTL} get --raw /readyz --request-timeout=5s").stdout == "ok"
            streak["n"] = streak["n"] + 1 if ok else 0
            return streak["n"] >= 5

        _wait("five answers in a row through the VIP", answers)
        # A write commits in etcd with two of its three members.
        cp2.check_output(f"{KUBECTL} -n default create configmap {name} --from-literal=written=while-down")
        assert (
            cp2.check_output(f"{KUBECTL} -n default get configmap {name} -o jsonpath={{.data.written}}") == "while-down"
        )
    finally:
        host.run(f"mv {parked}/*.yaml /etc/kubernetes/manifests/ && systemctl start keepalived")
        _wait(
            "the first API server back",
            lambda: host.run(f"curl -sk -m 3 https://{first}:6443/readyz").stdout == "ok",
            timeout=240,
        )
        # keepalived's highest priority takes the VIP back.
        _wait("the VIP back on the first control plane", lambda: _holds_vip(host, vip), timeout=30)
    # The first control plane's etcd caught up with the write made without it.
    _wait("etcd healthy on every member", lambda: host.run(_etcd_command(host, "endpoint health --cluster")).rc == 0)
    read = host.check_output(
        f"{KUBECTL} --server https://{first}:6443 -n default get configmap {name} -o jsonpath={{.data.written}}"
    )
    host.run(f"{KUBECTL} -n default delete configmap {name}")
    assert read == "while-down"
