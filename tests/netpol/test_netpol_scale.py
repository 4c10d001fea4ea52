"""1,000 isolated team namespaces: every team reaches itself and DNS, never its neighbour.

Timing lives in benchmarks/netpol.py; this test checks the answers at that size."""

from __future__ import annotations

from kubeforge.k8s import KObj
from kubeforge.netpol import Flow, FlowSide, IPEndpoint, Network, check_flows

from .builders import deployment, namespace, policy

TEAMS = 1000


def _team(i: int) -> list[KObj]:
    ns = f"team-{i}"
    return [
        namespace(ns, tenant="true"),
        policy("default-deny", ns, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        policy(
            "allow-same-namespace",
            ns,
            {
                "podSelector": {},
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            },
        ),
        policy(
            "allow-dns",
            ns,
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                    }
                ],
            },
        ),
        deployment("web", ns, {"app": "web"}, [{"name": "http", "containerPort": 8080}]),
        deployment("worker", ns, {"app": "worker"}),
    ]


def _objects() -> list[KObj]:
    objects: list[KObj] = [
        namespace("kube-system"),
        deployment(
            "coredns",
            "kube-system",
            {"k8s-app": "kube-dns"},
            [{"name": "dns", "containerPort": 53, "protocol": "UDP"}],
        ),
    ]
    for i in range(TEAMS):
        objects.extend(_team(i))
    return objects


def _flows() -> list[Flow]:
    flows: list[Flow] = []
    for i in range(TEAMS):
        ns, nxt = f"team-{i}", f"team-{(i + 1) % TEAMS}"
        flows.append(Flow(f"{ns}-intra", FlowSide(ns, {"app": "worker"}), FlowSide(ns, {"app": "web"}), "http"))
        flows.append(Flow(f"{ns}-to-next", FlowSide(ns), FlowSide(nxt, {"app": "web"}), 8080, expect="deny"))
    return flows


def test_thousand_teams_are_isolated_from_each_other() -> None:
    net = Network.from_objects(_objects())
    results = check_flows(net, _flows())
    assert len(results) == 2 * TEAMS
    failed = [r.message for r in results if not r.passed]
    assert failed == []
    # Each deny flow covered both workloads of the source team.
    assert all(len(r.verdicts) == 2 for r in results if r.flow.expect == "deny")


def test_thousand_teams_reach_dns_but_not_the_internet() -> None:
    net = Network.from_objects(_objects())
    (dns,) = net.pods("kube-system")
    for i in (0, 499, TEAMS - 1):
        (web,) = net.pods(f"team-{i}", {"matchLabels": {"app": "web"}})
        assert net.allowed(web, dns, 53, "UDP").allowed
        assert not net.allowed(web, dns, 5353, "UDP").allowed
        assert not net.allowed(web, IPEndpoint("1.1.1.1"), 53, "UDP").allowed
