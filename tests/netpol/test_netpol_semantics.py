"""One test per NetworkPolicy rule the evaluator implements."""

from __future__ import annotations

from typing import Any

import pytest

from kubeforge.errors import BadInput
from kubeforge.netpol import IPEndpoint, LabelSelector, NamedPort, Network, PodEndpoint, parse_policy

from .builders import deployment, namespace, policy

SRC = PodEndpoint("ns", {"app": "src"}, name="src")
DST = PodEndpoint("ns", {"app": "dst"}, name="dst")
OUTSIDE = IPEndpoint("203.0.113.9")


def net(*specs: tuple[str, dict[str, Any]], ns: str = "ns") -> Network:
    return Network.from_objects([policy(name, ns, spec) for name, spec in specs])


# --- policyTypes defaulting -------------------------------------------------------------------


def test_no_policy_types_with_only_ingress_rules_isolates_ingress_only() -> None:
    n = net(("p", {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}))
    assert n.policies("ns")[0].policy_types == {"Ingress"}
    assert n.allowed(SRC, DST, 80).allowed
    assert not n.allowed(SRC, DST, 81).allowed
    assert n.allowed(SRC, OUTSIDE, 81).allowed  # egress not isolated


def test_no_policy_types_with_egress_rules_adds_egress() -> None:
    n = net(("p", {"podSelector": {}, "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}))
    assert n.policies("ns")[0].policy_types == {"Ingress", "Egress"}
    assert n.allowed(SRC, OUTSIDE, 53, "UDP").allowed
    assert not n.allowed(SRC, OUTSIDE, 443).allowed
    assert not n.allowed(OUTSIDE, DST, 80).allowed  # Ingress is always defaulted in


def test_no_policy_types_and_empty_egress_list_does_not_add_egress() -> None:
    # Defaulting checks len(egress) != 0, so `egress: []` leaves egress open.
    n = net(("p", {"podSelector": {}, "egress": []}))
    assert n.policies("ns")[0].policy_types == {"Ingress"}
    assert n.allowed(SRC, OUTSIDE, 443).allowed


def test_empty_policy_types_list_is_defaulted_like_absent() -> None:
    n = net(("p", {"podSelector": {}, "policyTypes": [], "egress": [{}]}))
    assert n.policies("ns")[0].policy_types == {"Ingress", "Egress"}


def test_rules_of_a_direction_missing_from_policy_types_are_ignored() -> None:
    # Egress-only policy carrying an ingress rule: that rule grants nothing.
    n = net(
        ("deny-in", {"podSelector": {}, "policyTypes": ["Ingress"]}),
        ("egress-only", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}], "ingress": [{}]}),
    )
    assert not n.allowed(SRC, DST, 80).allowed
    assert n.allowed(SRC, OUTSIDE, 80).allowed


# --- isolation, union, both sides ---------------------------------------------------------


def test_only_selected_pods_are_isolated() -> None:
    n = net(("p", {"podSelector": {"matchLabels": {"app": "dst"}}, "policyTypes": ["Ingress"]}))
    assert not n.allowed(SRC, DST, 80).allowed
    assert n.allowed(DST, SRC, 80).allowed


def test_policies_are_a_union() -> None:
    n = net(
        ("web", {"podSelector": {"matchLabels": {"app": "dst"}}, "ingress": [{"ports": [{"port": 80}]}]}),
        ("tls", {"podSelector": {}, "ingress": [{"ports": [{"port": 443}]}]}),
    )
    assert n.allowed(SRC, DST, 80).allowed
    assert n.allowed(SRC, DST, 443).allowed
    assert not n.allowed(SRC, DST, 8080).allowed
    # The other pod is only selected by "tls".
    assert not n.allowed(DST, SRC, 80).allowed
    assert "ingress allowed by [tls]" in n.allowed(SRC, DST, 443).reason


def test_reason_names_every_policy_that_allows() -> None:
    n = net(("a", {"podSelector": {}, "ingress": [{}]}), ("b", {"podSelector": {}, "ingress": [{}]}))
    assert "ingress allowed by [a, b]" in n.allowed(SRC, DST, 80).reason


def test_egress_and_ingress_must_both_allow() -> None:
    egress_only = net(
        (
            "src-out",
            {"podSelector": {"matchLabels": {"app": "src"}}, "egress": [{}], "policyTypes": ["Egress"]},
        ),
        ("dst-in", {"podSelector": {"matchLabels": {"app": "dst"}}, "policyTypes": ["Ingress"]}),
    )
    verdict = egress_only.allowed(SRC, DST, 80)
    assert not verdict.allowed
    assert verdict.reason.startswith("ingress denied: ns/dst is ingress-isolated by [dst-in]")
    ingress_only = net(
        ("src-out", {"podSelector": {"matchLabels": {"app": "src"}}, "policyTypes": ["Egress"]}),
        ("dst-in", {"podSelector": {"matchLabels": {"app": "dst"}}, "ingress": [{}]}),
    )
    verdict = ingress_only.allowed(SRC, DST, 80)
    assert not verdict.allowed
    assert verdict.reason.startswith("egress denied: ns/src is egress-isolated by [src-out]")
    both = net(
        (
            "src-out",
            {"podSelector": {"matchLabels": {"app": "src"}}, "egress": [{}], "policyTypes": ["Egress"]},
        ),
        ("dst-in", {"podSelector": {"matchLabels": {"app": "dst"}}, "ingress": [{}]}),
    )
    assert both.allowed(SRC, DST, 80).allowed


def test_policy_in_another_namespace_does_not_select() -> None:
    n = net(("p", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}), ns="elsewhere")
    assert n.allowed(SRC, DST, 80).allowed


# --- rules and peers --------------------------------------------------------------------


def test_empty_rule_allows_all_and_empty_rule_list_denies_all() -> None:
    allow = net(("p", {"podSelector": {}, "ingress": [{}]}))
    assert allow.allowed(OUTSIDE, DST, 1).allowed
    assert allow.allowed(PodEndpoint("elsewhere", {}), DST, 65535, "UDP").allowed
    deny = net(("p", {"podSelector": {}, "ingress": []}))
    assert not deny.allowed(SRC, DST, 80).allowed


def test_empty_from_list_means_every_source() -> None:
    n = net(("p", {"podSelector": {}, "ingress": [{"from": [], "ports": [{"port": 80}]}]}))
    assert n.allowed(OUTSIDE, DST, 80).allowed
    assert n.allowed(PodEndpoint("elsewhere", {}), DST, 80).allowed
    assert not n.allowed(OUTSIDE, DST, 81).allowed


def test_empty_pod_selector_peer_is_the_policy_namespace_only() -> None:
    n = net(("p", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}))
    assert n.allowed(SRC, DST, 80).allowed
    assert not n.allowed(PodEndpoint("elsewhere", {}), DST, 80).allowed
    assert not n.allowed(OUTSIDE, DST, 80).allowed


def test_empty_namespace_selector_peer_is_every_pod_but_no_ip() -> None:
    n = net(("p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}))
    assert n.allowed(PodEndpoint("elsewhere", {}), DST, 80).allowed
    assert not n.allowed(OUTSIDE, DST, 80).allowed


def test_namespace_labels_come_from_namespace_objects() -> None:
    n = Network.from_objects(
        [
            namespace("prod", env="prod"),
            namespace("dev", env="dev"),
            policy(
                "p",
                "ns",
                {
                    "podSelector": {},
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"env": "prod"}}}]}],
                },
            ),
        ]
    )
    assert n.allowed(PodEndpoint("prod", {}), DST, 80).allowed
    assert not n.allowed(PodEndpoint("dev", {}), DST, 80).allowed
    assert not n.allowed(PodEndpoint("undeclared", {}), DST, 80).allowed


# --- label selectors ----------------------------------------------------------------------


def _sel(*exprs: dict[str, Any], match_labels: dict[str, str] | None = None) -> LabelSelector:
    raw: dict[str, Any] = {"matchExpressions": list(exprs)}
    if match_labels:
        raw["matchLabels"] = match_labels
    return LabelSelector.parse(raw)


def test_match_expression_in() -> None:
    sel = _sel({"key": "tier", "operator": "In", "values": ["web", "api"]})
    assert sel.matches({"tier": "api"})
    assert not sel.matches({"tier": "db"})
    assert not sel.matches({})


def test_match_expression_not_in_also_matches_missing_key() -> None:
    sel = _sel({"key": "tier", "operator": "NotIn", "values": ["db"]})
    assert sel.matches({"tier": "web"})
    assert sel.matches({})
    assert not sel.matches({"tier": "db"})


def test_match_expression_exists_and_does_not_exist() -> None:
    exists = _sel({"key": "tier", "operator": "Exists"})
    absent = _sel({"key": "tier", "operator": "DoesNotExist"})
    assert exists.matches({"tier": ""}) and not exists.matches({"app": "x"})
    assert absent.matches({"app": "x"}) and not absent.matches({"tier": "web"})


def test_match_labels_and_expressions_are_anded() -> None:
    sel = _sel({"key": "tier", "operator": "In", "values": ["web"]}, match_labels={"app": "shop"})
    assert sel.matches({"app": "shop", "tier": "web"})
    assert not sel.matches({"app": "shop", "tier": "db"})
    assert not sel.matches({"app": "blog", "tier": "web"})
    assert LabelSelector.parse({}).matches({"anything": "at-all"})


@pytest.mark.parametrize(
    "expr",
    [
        {"key": "a", "operator": "Gt", "values": ["1"]},
        {"key": "a", "operator": "In", "values": []},
        {"key": "a", "operator": "Exists", "values": ["x"]},
        {"operator": "Exists"},
    ],
)
def test_invalid_match_expressions_are_rejected(expr: dict[str, Any]) -> None:
    with pytest.raises(BadInput):
        _sel(expr)


def test_match_expressions_select_pods_through_a_policy() -> None:
    n = net(
        (
            "p",
            {
                "podSelector": {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["public"]}]},
                "policyTypes": ["Ingress"],
            },
        )
    )
    assert not n.allowed(SRC, DST, 80).allowed
    assert not n.allowed(SRC, PodEndpoint("ns", {}), 80).allowed
    assert n.allowed(SRC, PodEndpoint("ns", {"app": "public"}), 80).allowed


# --- ports -----------------------------------------------------------------------------------

WEB_A = PodEndpoint("ns", {"app": "web"}, ports=(NamedPort("http", 8080),), name="web-a")
WEB_B = PodEndpoint("ns", {"app": "web"}, ports=(NamedPort("http", 9090), NamedPort("", 8080)), name="web-b")
DNS = PodEndpoint("ns", {"app": "dns"}, ports=(NamedPort("dns", 53, "UDP"),), name="dns")


def test_protocol_defaults_to_tcp() -> None:
    n = net(("p", {"podSelector": {}, "ingress": [{"ports": [{"port": 53}]}]}))
    assert n.allowed(SRC, DST, 53).allowed
    assert not n.allowed(SRC, DST, 53, "UDP").allowed


def test_port_entry_without_port_allows_every_port_of_its_protocol() -> None:
    n = net(("p", {"podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP"}]}]}))
    assert n.allowed(SRC, DST, 1, "UDP").allowed and n.allowed(SRC, DST, 65535, "UDP").allowed
    assert not n.allowed(SRC, DST, 80).allowed


def test_named_ingress_port_resolves_on_each_destination() -> None:
    n = net(("p", {"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]}))
    assert n.allowed(SRC, WEB_A, 8080).allowed
    assert n.allowed(SRC, WEB_B, 9090).allowed
    assert not n.allowed(SRC, WEB_B, 8080).allowed  # 8080 on web-b is unnamed


def test_named_egress_port_resolves_on_destination_not_source() -> None:
    src = PodEndpoint("ns", {"app": "src"}, ports=(NamedPort("http", 1234),))
    n = net(("p", {"podSelector": {"matchLabels": {"app": "src"}}, "egress": [{"ports": [{"port": "http"}]}]}))
    assert n.allowed(src, WEB_A, 8080).allowed
    assert not n.allowed(src, WEB_A, 1234).allowed
    # An IP endpoint has no named ports, so a named-port rule never reaches it.
    assert not n.allowed(src, OUTSIDE, 8080).allowed


def test_named_port_needs_matching_protocol() -> None:
    tcp_rule = net(("p", {"podSelector": {}, "ingress": [{"ports": [{"port": "dns"}]}]}))
    assert not tcp_rule.allowed(SRC, DNS, 53, "UDP").allowed
    assert not tcp_rule.allowed(SRC, DNS, 53).allowed
    udp_rule = net(("p", {"podSelector": {}, "ingress": [{"ports": [{"port": "dns", "protocol": "UDP"}]}]}))
    assert udp_rule.allowed(SRC, DNS, 53, "UDP").allowed


def test_query_by_port_name_uses_the_destination_port() -> None:
    n = net(("p", {"podSelector": {}, "ingress": [{"ports": [{"port": 9090}]}]}))
    assert n.allowed(SRC, WEB_B, "http").allowed
    assert not n.allowed(SRC, WEB_A, "http").allowed
    with pytest.raises(BadInput, match="no TCP port named 'grpc'"):
        n.allowed(SRC, WEB_A, "grpc")
    with pytest.raises(BadInput):
        n.allowed(SRC, OUTSIDE, "http")


@pytest.mark.parametrize(
    "port",
    [
        {"port": "http", "endPort": 90},
        {"endPort": 90},
        {"port": 100, "endPort": 90},
        {"port": 80, "protocol": "ICMP"},
    ],
)
def test_invalid_ports_are_rejected(port: dict[str, Any]) -> None:
    with pytest.raises(BadInput):
        parse_policy(policy("p", "ns", {"podSelector": {}, "ingress": [{"ports": [port]}]}))


# --- ipBlock ---------------------------------------------------------------------------------


def test_ip_block_except_carves_holes() -> None:
    n = net(
        (
            "p",
            {
                "podSelector": {},
                "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16", "10.2.3.4/32"]}}]}],
            },
        )
    )
    assert n.allowed(IPEndpoint("10.9.9.9"), DST, 80).allowed
    assert not n.allowed(IPEndpoint("10.1.200.1"), DST, 80).allowed
    assert not n.allowed(IPEndpoint("10.2.3.4"), DST, 80).allowed
    assert n.allowed(IPEndpoint("10.2.3.5"), DST, 80).allowed
    assert n.allowed(IPEndpoint("10.3.0.0/16"), DST, 80).allowed
    partly = n.allowed(IPEndpoint("10.0.0.0/8"), DST, 80)
    assert not partly.allowed and partly.partial
    assert "partly allowed" in partly.reason


def test_ip_blocks_of_several_rules_can_cover_a_cidr_together() -> None:
    n = net(
        (
            "p",
            {
                "podSelector": {},
                "ingress": [
                    {"from": [{"ipBlock": {"cidr": "192.168.0.0/24"}}]},
                    {"from": [{"ipBlock": {"cidr": "192.168.1.0/24"}}]},
                ],
            },
        )
    )
    assert n.allowed(IPEndpoint("192.168.0.0/23"), DST, 80).allowed
    assert n.allowed(IPEndpoint("192.168.0.0/22"), DST, 80).partial


def test_ipv6_blocks() -> None:
    n = net(
        (
            "p",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:dead::/48"]}}]}],
            },
        )
    )
    assert n.allowed(SRC, IPEndpoint("2001:db8:1::1"), 443).allowed
    assert not n.allowed(SRC, IPEndpoint("2001:db8:dead::1"), 443).allowed
    assert not n.allowed(SRC, IPEndpoint("2001:db9::1"), 443).allowed
    # An IPv4 address never falls in an IPv6 block.
    assert not n.allowed(SRC, IPEndpoint("32.1.13.184"), 443).allowed


def test_ip_block_matches_pods_only_when_they_carry_an_ip() -> None:
    n = net(("p", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.244.0.0/16"}}]}]}))
    assert not n.allowed(PodEndpoint("elsewhere", {}), DST, 80).allowed
    assert n.allowed(PodEndpoint("elsewhere", {}, ip="10.244.1.5"), DST, 80).allowed


@pytest.mark.parametrize(
    "peer",
    [
        {},
        {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}},
        {"ipBlock": {"cidr": "not-an-ip"}},
        {"ipBlock": {"except": ["10.0.0.0/8"]}},
    ],
)
def test_invalid_peers_are_rejected(peer: dict[str, Any]) -> None:
    with pytest.raises(BadInput):
        parse_policy(policy("p", "ns", {"podSelector": {}, "ingress": [{"from": [peer]}]}))


# --- pod classes -----------------------------------------------------------------------------


def _template(labels: dict[str, str], ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "ports": ports}]}}


def test_pod_classes_from_every_workload_kind() -> None:
    tmpl = _template({"app": "x"}, [{"name": "metrics", "containerPort": 9100}])
    objects = [
        deployment("d", "team", {"app": "d"}, [{"name": "http", "containerPort": 8080}]),
        {"kind": "StatefulSet", "metadata": {"name": "s", "namespace": "team"}, "spec": {"template": tmpl}},
        {
            "kind": "DaemonSet",
            "metadata": {"name": "ds", "namespace": "kube-system"},
            "spec": {"template": tmpl},
        },
        {"kind": "Job", "metadata": {"name": "j", "namespace": "team"}, "spec": {"template": tmpl}},
        {
            "kind": "CronJob",
            "metadata": {"name": "cj", "namespace": "team"},
            "spec": {"jobTemplate": {"spec": {"template": tmpl}}},
        },
        {
            "kind": "Pod",
            "metadata": {"name": "p", "labels": {"app": "bare"}},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 53, "protocol": "UDP"}]}]},
        },
        {"kind": "Service", "metadata": {"name": "svc", "namespace": "team"}, "spec": {}},
    ]
    n = Network.from_objects(objects)
    assert sorted(p.name for p in n.pods()) == sorted(
        ["Deployment/d", "StatefulSet/s", "DaemonSet/ds", "Job/j", "CronJob/cj", "Pod/p"]
    )
    (d,) = n.pods("team", {"matchLabels": {"app": "d"}})
    assert d.ports == (NamedPort("http", 8080, "TCP"),)
    (bare,) = n.pods("default")
    assert bare.labels == {"app": "bare"} and bare.ports == (NamedPort("", 53, "UDP"),)
    assert [p.name for p in n.pods("kube-system", {"matchLabels": {"app": "x"}})] == ["DaemonSet/ds"]
    assert n.pods("team", {"matchLabels": {"app": "nope"}}) == []


def test_named_port_of_a_rendered_workload() -> None:
    n = Network.from_objects(
        [
            deployment("api", "ns", {"app": "api"}, [{"name": "grpc", "containerPort": 9000}]),
            policy(
                "p",
                "ns",
                {"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"ports": [{"port": "grpc"}]}]},
            ),
        ]
    )
    (api,) = n.pods("ns")
    assert n.allowed(SRC, api, "grpc").allowed
    assert n.allowed(SRC, api, 9000).allowed
    assert not n.allowed(SRC, api, 9001).allowed


def test_native_sidecar_ports_belong_to_the_pod_class() -> None:
    # Sidecars (restartPolicy: Always) keep serving; a plain init container has exited by then.
    pod = {
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {
            "containers": [{"name": "app", "ports": [{"name": "http", "containerPort": 8080}]}],
            "initContainers": [
                {"name": "proxy", "restartPolicy": "Always", "ports": [{"name": "proxy", "containerPort": 15001}]},
                {"name": "migrate", "ports": [{"name": "once", "containerPort": 9999}]},
            ],
        },
    }
    (p,) = Network.from_objects([pod]).pods("ns")
    assert p.ports == (NamedPort("http", 8080), NamedPort("proxy", 15001))
