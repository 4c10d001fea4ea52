"""What the test modules of the `kubeadm-podman` scenario do on the running cluster: reach its hosts, read
nodes, run the test CNI's netcheck pods, and prove that a NetworkPolicy denies a real connection (before and
after the upgrade). Commands run on the first control plane (testinfra's `host`) with the admin kubeconfig
unless a test names another host."""

import contextlib
import json
import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import testinfra

KUBECTL = "kubectl --kubeconfig /etc/kubernetes/admin.conf"
TEST_IMAGE = "kubeforge.test/test-cni:v1"  # pulled through containerd's mirror: the registry on cp1
# molecule.yml's hosts: three control planes behind api_lb's VIP and a worker.
CONTROL_PLANES = ("cp1", "cp2", "cp3")
NODE_COUNT = 4


def node_host(host: Any, which: str) -> Any:
    """testinfra's host for one of the scenario's containers (their names differ only in cp1/cp2/cp3/w1)."""
    return testinfra.get_host(f"podman://{host.backend.name.replace('-cp1-', f'-{which}-')}")


def worker_host(host: Any) -> Any:
    return node_host(host, "w1")


def node_name(host: Any) -> str:
    """The Kubernetes node name of a host (kubeadm registers the lower-cased hostname)."""
    return str(host.check_output("hostname")).lower()


def address(host: Any) -> str:
    """A host's address on the scenario's network (the API servers advertise it)."""
    return str(host.check_output("hostname -I").split()[0])


def get_nodes(host: Any) -> list[dict[str, Any]]:
    return json.loads(host.check_output(f"{KUBECTL} get nodes -o json"))["items"]


def is_ready(node: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"])


def is_control_plane(node: dict[str, Any]) -> bool:
    return "node-role.kubernetes.io/control-plane" in node["metadata"]["labels"]


def ready_nodes(host: Any, count: int = NODE_COUNT, timeout: int = 180) -> list[dict[str, Any]]:
    """The nodes, once `count` of them are Ready (a CNI's configuration is written when a pod CIDR is allocated)."""
    deadline = time.monotonic() + timeout
    while True:
        items = get_nodes(host)
        if len(items) == count and all(is_ready(n) for n in items):
            return items
        if time.monotonic() > deadline:
            pytest.fail(f"nodes not Ready after {timeout} s: {[(n['metadata']['name'], is_ready(n)) for n in items]}")
        time.sleep(5)


def apply(host: Any, obj: dict[str, Any]) -> None:
    host.check_output(f"echo {shlex.quote(json.dumps(obj))} | {KUBECTL} apply -f -")


def netcheck_container(args: list[str]) -> dict[str, Any]:
    """netcheck (the test CNI image's TCP server and client), as the restricted Pod Security profile wants it."""
    return {
        "name": "netcheck",
        "image": TEST_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/usr/local/bin/netcheck", *args],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def pod(
    ns: str, name: str, node: str, args: list[str], labels: dict[str, str], restart: str = "Never"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"nodeName": node, "restartPolicy": restart, "containers": [netcheck_container(args)]},
    }


def wait_phase(host: Any, ns: str, name: str, phases: set[str], timeout: int = 90) -> str:
    deadline = time.monotonic() + timeout
    while True:
        phase = host.check_output(f"{KUBECTL} -n {ns} get pod {name} -o jsonpath={{.status.phase}}")
        if phase in phases:
            return phase
        if time.monotonic() > deadline:
            pytest.fail(f"pod {ns}/{name} still {phase!r} after {timeout} s")
        time.sleep(2)


def connect(host: Any, ns: str, worker: str, ip: str, name: str, labels: dict[str, str], restart: str = "Never") -> str:
    """A netcheck client on the worker connecting to ip:8080; its final phase (Succeeded or Failed)."""
    apply(host, pod(ns, name, worker, ["connect", f"{ip}:8080"], labels, restart))
    return wait_phase(host, ns, name, {"Succeeded", "Failed"})


@contextlib.contextmanager
def server_namespace(host: Any, nodes: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """A namespace with a netcheck server pod on the first control plane (`host`, whose firewall rules the
    policy check reads); yields (ns, worker node, server IP)."""
    cp = node_name(host)
    worker = next(n["metadata"]["name"] for n in nodes if not is_control_plane(n))
    ns = f"netpol-{uuid.uuid4().hex[:6]}"
    host.check_output(f"{KUBECTL} create namespace {ns}")
    try:
        apply(host, pod(ns, "server", cp, ["serve", ":8080"], {"app": "server"}, restart="Always"))
        wait_phase(host, ns, "server", {"Running"})
        ip = host.check_output(f"{KUBECTL} -n {ns} get pod server -o jsonpath={{.status.podIP}}")
        yield ns, worker, ip
    finally:
        host.run(f"{KUBECTL} delete namespace {ns} --wait=false")


def server_service(host: Any, ns: str) -> str:
    """A ClusterIP Service `server` in front of the namespace's server pod; its cluster IP."""
    apply(
        host,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "server", "namespace": ns},
            "spec": {"selector": {"app": "server"}, "ports": [{"port": 8080}]},
        },
    )
    return host.check_output(f"{KUBECTL} -n {ns} get service server -o jsonpath={{.spec.clusterIP}}")


def _policy_rules(host: Any, name: str, ip: str) -> list[str]:
    """kube-router's jump from the pod's firewall chain to NetworkPolicy `name`'s chain, for the pod at `ip`
    (written once its informer has the policy; the policy chain stays empty until a source pod matches)."""
    rules = host.run("iptables-save -t filter").stdout
    return [r for r in rules.splitlines() if f"-d {ip}/32" in r and f'"run through nw policy {name}"' in r]


def assert_network_policy_denies(host: Any, ns: str, worker: str, ip: str) -> None:
    """After a NetworkPolicy admitting only labelled clients, an unlabelled client's connection is refused
    (kube-router's REJECT) and a labelled one still connects."""
    assert connect(host, ns, worker, ip, "before", {}) == "Succeeded"
    apply(
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
    assert connect(host, ns, worker, ip, "denied", {}) == "Failed"
    # Exit 1 is netcheck's failed connection (2 would be a usage error).
    code = host.check_output(
        f"{KUBECTL} -n {ns} get pod denied -o jsonpath={{.status.containerStatuses[0].state.terminated.exitCode}}"
    )
    assert code == "1"
    # kube-router adds a new pod's IP to the policy's source set on the pod's event: a client connecting at
    # once can race it, so the allowed client may retry (the same pod, the same IP).
    assert connect(host, ns, worker, ip, "allowed", {"access": "allowed"}, restart="OnFailure") == "Succeeded"


def run_playbook(playbook: str, *args: str) -> subprocess.CompletedProcess[str]:
    """ansible-playbook on the scenario's own inventory (group_vars included), as an operator runs it; its
    output in `stdout` (Ansible writes task errors to stderr, merged here in order)."""
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    project = os.environ["MOLECULE_PROJECT_DIRECTORY"]
    argv = ["ansible-playbook", "-i", inventory, os.path.join(project, "playbooks", playbook), *args]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
