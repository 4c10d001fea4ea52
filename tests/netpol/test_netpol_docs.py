"""The examples of https://kubernetes.io/docs/concepts/services-networking/network-policies/,
each checked for what it allows and for what it still denies."""

from __future__ import annotations

from kubeforge.netpol import IPEndpoint, Network, PodEndpoint

from .builders import namespace, policy

DB = PodEndpoint("default", {"role": "db"}, name="db")
FRONTEND = PodEndpoint("default", {"role": "frontend"}, name="frontend")
BACKEND = PodEndpoint("default", {"role": "backend"}, name="backend")

TEST_NETWORK_POLICY = policy(
    "test-network-policy",
    "default",
    {
        "podSelector": {"matchLabels": {"role": "db"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                    {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
                    {"podSelector": {"matchLabels": {"role": "frontend"}}},
                ],
                "ports": [{"protocol": "TCP", "port": 6379}],
            }
        ],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 5978}]}],
    },
)


def _test_network() -> Network:
    return Network.from_objects(
        [
            namespace("default"),
            namespace("myproject", project="myproject"),
            namespace("other"),
            TEST_NETWORK_POLICY,
        ]
    )


def test_example_ingress_from_same_namespace_frontend() -> None:
    net = _test_network()
    assert net.allowed(FRONTEND, DB, 6379).allowed
    assert not net.allowed(FRONTEND, DB, 6380).allowed
    assert not net.allowed(FRONTEND, DB, 6379, "UDP").allowed
    assert not net.allowed(BACKEND, DB, 6379).allowed


def test_example_pod_selector_alone_means_the_policy_namespace() -> None:
    net = _test_network()
    foreign_frontend = PodEndpoint("other", {"role": "frontend"})
    assert not net.allowed(foreign_frontend, DB, 6379).allowed


def test_example_namespace_selector_admits_any_pod_of_myproject() -> None:
    net = _test_network()
    assert net.allowed(PodEndpoint("myproject", {"anything": "x"}), DB, 6379).allowed
    assert not net.allowed(PodEndpoint("myproject", {}), DB, 22).allowed


def test_example_ip_block_with_except() -> None:
    net = _test_network()
    assert net.allowed(IPEndpoint("172.17.0.5"), DB, 6379).allowed
    assert net.allowed(IPEndpoint("172.17.2.0"), DB, 6379).allowed
    assert net.allowed(IPEndpoint("172.17.255.255"), DB, 6379).allowed
    assert not net.allowed(IPEndpoint("172.17.1.7"), DB, 6379).allowed
    assert not net.allowed(IPEndpoint("172.18.0.1"), DB, 6379).allowed
    # The whole /16 is only partly allowed: the except hole is in it.
    whole = net.allowed(IPEndpoint("172.17.0.0/16"), DB, 6379)
    assert not whole.allowed and whole.partial


def test_example_egress_only_to_10_0_0_0_24_on_5978() -> None:
    net = _test_network()
    assert net.allowed(DB, IPEndpoint("10.0.0.7"), 5978).allowed
    assert not net.allowed(DB, IPEndpoint("10.0.0.7"), 5979).allowed
    assert not net.allowed(DB, IPEndpoint("10.0.1.1"), 5978).allowed
    # db is egress-isolated, so even pods of its own namespace are unreachable from it.
    verdict = net.allowed(DB, FRONTEND, 80)
    assert not verdict.allowed
    assert "egress denied" in verdict.reason and "test-network-policy" in verdict.reason


def test_example_leaves_unselected_pods_alone() -> None:
    net = _test_network()
    assert net.allowed(BACKEND, FRONTEND, 1234).allowed
    assert net.allowed(IPEndpoint("8.8.8.8"), FRONTEND, 80).allowed


def _and_or_network(from_: list[dict[str, object]]) -> Network:
    return Network.from_objects(
        [
            namespace("default"),
            namespace("alice", user="alice"),
            namespace("bob", user="bob"),
            policy("p", "default", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": from_}]}),
        ]
    )


WEB = PodEndpoint("default", {"app": "web"})


def test_namespace_and_pod_selector_in_one_element_is_and() -> None:
    net = _and_or_network(
        [
            {
                "namespaceSelector": {"matchLabels": {"user": "alice"}},
                "podSelector": {"matchLabels": {"role": "client"}},
            }
        ]
    )
    assert net.allowed(PodEndpoint("alice", {"role": "client"}), WEB, 80).allowed
    assert not net.allowed(PodEndpoint("alice", {"role": "server"}), WEB, 80).allowed
    assert not net.allowed(PodEndpoint("default", {"role": "client"}), WEB, 80).allowed
    assert not net.allowed(PodEndpoint("bob", {"role": "client"}), WEB, 80).allowed


def test_namespace_and_pod_selector_in_two_elements_is_or() -> None:
    net = _and_or_network(
        [
            {"namespaceSelector": {"matchLabels": {"user": "alice"}}},
            {"podSelector": {"matchLabels": {"role": "client"}}},
        ]
    )
    assert net.allowed(PodEndpoint("alice", {"role": "client"}), WEB, 80).allowed
    assert net.allowed(PodEndpoint("alice", {"role": "server"}), WEB, 80).allowed
    assert net.allowed(PodEndpoint("default", {"role": "client"}), WEB, 80).allowed
    assert not net.allowed(PodEndpoint("bob", {"role": "client"}), WEB, 80).allowed
    assert not net.allowed(PodEndpoint("default", {"role": "server"}), WEB, 80).allowed


A = PodEndpoint("team", {"app": "a"}, name="a")
B = PodEndpoint("team", {"app": "b"}, name="b")
OUTSIDE = IPEndpoint("8.8.8.8")
DENY_INGRESS = policy("default-deny-ingress", "team", {"podSelector": {}, "policyTypes": ["Ingress"]})
ALLOW_INGRESS = policy("allow-all-ingress", "team", {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]})
DENY_EGRESS = policy("default-deny-egress", "team", {"podSelector": {}, "policyTypes": ["Egress"]})
ALLOW_EGRESS = policy("allow-all-egress", "team", {"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]})
DENY_ALL = policy("default-deny-all", "team", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def test_default_deny_ingress() -> None:
    net = Network.from_objects([DENY_INGRESS])
    verdict = net.allowed(A, B, 80)
    assert not verdict.allowed
    assert verdict.reason == "ingress denied: team/b is ingress-isolated by [default-deny-ingress], no rule matches"
    assert not net.allowed(OUTSIDE, B, 80).allowed
    # Egress is untouched, and other namespaces too.
    assert net.allowed(A, OUTSIDE, 53, "UDP").allowed
    assert net.allowed(A, PodEndpoint("elsewhere", {"app": "b"}), 80).allowed


def test_default_allow_all_ingress_overrides_deny() -> None:
    net = Network.from_objects([DENY_INGRESS, ALLOW_INGRESS])
    assert net.allowed(A, B, 80).allowed
    assert net.allowed(OUTSIDE, B, 65535, "SCTP").allowed
    assert net.allowed(PodEndpoint("elsewhere", {}), B, 80).allowed


def test_default_deny_egress() -> None:
    net = Network.from_objects([DENY_EGRESS])
    verdict = net.allowed(A, B, 80)
    assert not verdict.allowed
    assert verdict.reason == "egress denied: team/a is egress-isolated by [default-deny-egress], no rule matches"
    assert not net.allowed(A, OUTSIDE, 443).allowed
    # Ingress is untouched: outsiders and other namespaces still get in.
    assert net.allowed(OUTSIDE, A, 80).allowed
    assert net.allowed(PodEndpoint("elsewhere", {}), A, 80).allowed


def test_default_allow_all_egress_overrides_deny() -> None:
    net = Network.from_objects([DENY_EGRESS, ALLOW_EGRESS])
    assert net.allowed(A, B, 80).allowed
    assert net.allowed(A, OUTSIDE, 443).allowed


def test_default_deny_all() -> None:
    net = Network.from_objects([DENY_ALL])
    assert not net.allowed(A, B, 80).allowed
    assert not net.allowed(A, OUTSIDE, 443).allowed
    assert not net.allowed(OUTSIDE, A, 80).allowed
    # A namespace without policies stays open both ways.
    assert net.allowed(PodEndpoint("elsewhere", {}), OUTSIDE, 443).allowed


def test_allow_all_egress_deny_all_ingress() -> None:
    net = Network.from_objects(
        [
            policy(
                "allow-egress-deny-ingress",
                "team",
                {"podSelector": {}, "policyTypes": ["Egress", "Ingress"], "egress": [{}], "ingress": []},
            )
        ]
    )
    assert net.allowed(A, OUTSIDE, 443).allowed
    assert not net.allowed(OUTSIDE, A, 80).allowed
    verdict = net.allowed(A, B, 80)
    assert not verdict.allowed and verdict.reason.startswith("ingress denied")


def test_end_port_range() -> None:
    net = Network.from_objects(
        [
            policy(
                "multi-port-egress",
                "default",
                {
                    "podSelector": {"matchLabels": {"role": "db"}},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                            "ports": [{"protocol": "TCP", "port": 32000, "endPort": 32768}],
                        }
                    ],
                },
            )
        ]
    )
    target = IPEndpoint("10.0.0.9")
    for port in (32000, 32500, 32768):
        assert net.allowed(DB, target, port).allowed, port
    for port in (31999, 32769):
        assert not net.allowed(DB, target, port).allowed, port
    assert not net.allowed(DB, target, 32000, "UDP").allowed
    assert not net.allowed(DB, IPEndpoint("10.0.1.9"), 32000).allowed


def test_target_namespaces_by_metadata_name_label() -> None:
    net = Network.from_objects(
        [
            # "frontend" has no Namespace object: the name label exists regardless.
            namespace("backend"),
            # A user-set name label cannot impersonate another namespace: the control plane owns it.
            namespace("impostor", **{"kubernetes.io/metadata.name": "frontend"}),
            policy(
                "egress-namespaces",
                "default",
                {
                    "podSelector": {"matchLabels": {"app": "myapp"}},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "namespaceSelector": {
                                        "matchExpressions": [
                                            {
                                                "key": "kubernetes.io/metadata.name",
                                                "operator": "In",
                                                "values": ["frontend", "backend"],
                                            }
                                        ]
                                    }
                                }
                            ]
                        }
                    ],
                },
            ),
        ]
    )
    myapp = PodEndpoint("default", {"app": "myapp"})
    assert net.allowed(myapp, PodEndpoint("frontend", {}), 80).allowed
    assert net.allowed(myapp, PodEndpoint("backend", {"x": "y"}), 5432).allowed
    assert not net.allowed(myapp, PodEndpoint("impostor", {}), 80).allowed
    assert not net.allowed(myapp, PodEndpoint("default", {}), 80).allowed
    assert not net.allowed(myapp, OUTSIDE, 80).allowed
