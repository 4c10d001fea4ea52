"""Expected flows checked against rendered objects."""

from __future__ import annotations

from typing import Any

import pytest

from kubeforge.errors import BadInput
from kubeforge.netpol import Flow, FlowSide, Network, check_flows

from .builders import deployment, namespace, policy


def _network() -> Network:
    return Network.from_objects(
        [
            namespace("shop"),
            namespace("ops", purpose="monitoring"),
            deployment("web", "shop", {"app": "web"}, [{"name": "http", "containerPort": 8080}]),
            deployment("db", "shop", {"app": "db"}, [{"name": "pg", "containerPort": 5432}]),
            deployment("prom", "ops", {"app": "prometheus"}),
            policy("deny-all", "shop", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            policy(
                "web-to-db",
                "shop",
                {
                    "podSelector": {"matchLabels": {"app": "web"}},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": "pg"}]}],
                },
            ),
            policy(
                "db-from-web",
                "shop",
                {
                    "podSelector": {"matchLabels": {"app": "db"}},
                    "ingress": [
                        {
                            "from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                            "ports": [{"port": 5432}],
                        }
                    ],
                },
            ),
            policy(
                "scrape",
                "shop",
                {
                    "podSelector": {},
                    "ingress": [
                        {
                            "from": [{"namespaceSelector": {"matchLabels": {"purpose": "monitoring"}}}],
                            "ports": [{"port": "http"}],
                        }
                    ],
                },
            ),
            policy(
                "web-from-lb",
                "shop",
                {
                    "podSelector": {"matchLabels": {"app": "web"}},
                    "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/24"}}]}],
                },
            ),
        ]
    )


def _flow(**raw: Any) -> Flow:
    return Flow.from_dict(raw)


def test_flows_pass_when_expectations_hold() -> None:
    flows = [
        _flow(
            name="web-db",
            src={"namespace": "shop", "podLabels": {"app": "web"}},
            dst={"namespace": "shop", "podLabels": {"app": "db"}},
            port=5432,
        ),
        _flow(
            name="db-web",
            src={"namespace": "shop", "podLabels": {"app": "db"}},
            dst={"namespace": "shop", "podLabels": {"app": "web"}},
            port=8080,
            expect="deny",
        ),
        _flow(
            name="scrape-web",
            src={"namespace": "ops"},
            dst={"namespace": "shop", "podLabels": {"app": "web"}},
            port="http",
        ),
        _flow(
            name="lb",
            src={"cidr": "10.0.0.0/24"},
            dst={"namespace": "shop", "podLabels": {"app": "web"}},
            port=8080,
        ),
        _flow(name="internet", src={"ip": "198.51.100.1"}, dst={"namespace": "shop"}, port=8080, expect="deny"),
    ]
    results = check_flows(_network(), flows)
    assert [(r.flow.name, r.passed) for r in results] == [(f.name, True) for f in flows], [r.message for r in results]


def test_flow_fails_when_expectation_is_wrong_and_says_why() -> None:
    (result,) = check_flows(
        _network(),
        [
            _flow(
                name="oops",
                src={"namespace": "shop", "podLabels": {"app": "db"}},
                dst={"namespace": "shop", "podLabels": {"app": "web"}},
                port=8080,
            )
        ],
    )
    assert not result.passed
    assert result.message.startswith("expected allow, shop/Deployment/db -> shop/Deployment/web denied")
    assert "egress-isolated by [deny-all]" in result.message


def test_deny_flow_fails_if_any_matching_pod_is_allowed() -> None:
    # The whole namespace as source: web may reach db, so "shop cannot reach db" is false.
    (result,) = check_flows(
        _network(),
        [
            _flow(
                name="x",
                src={"namespace": "shop"},
                dst={"namespace": "shop", "podLabels": {"app": "db"}},
                port=5432,
                expect="deny",
            )
        ],
    )
    assert not result.passed
    assert "shop/Deployment/web -> shop/Deployment/db allowed" in result.message
    assert len(result.verdicts) == 2


def test_partly_allowed_cidr_fails_allow_and_deny() -> None:
    net = _network()
    for expect in ("allow", "deny"):
        (result,) = check_flows(
            net,
            [
                _flow(
                    name="x",
                    src={"cidr": "10.0.0.0/23"},
                    dst={"namespace": "shop", "podLabels": {"app": "web"}},
                    port=8080,
                    expect=expect,
                )
            ],
        )
        assert not result.passed
        assert "partly allowed" in result.message


def test_side_matching_no_pod_fails() -> None:
    (result,) = check_flows(
        _network(),
        [
            _flow(
                name="typo",
                src={"namespace": "shop", "podLabels": {"app": "wbe"}},
                dst={"namespace": "nowhere"},
                port=80,
                expect="deny",
            )
        ],
    )
    assert not result.passed
    assert (
        result.message == "no pod matches src namespace=shop podLabels={app=wbe} and dst namespace=nowhere podLabels={}"
    )


def test_unknown_named_port_fails_the_flow() -> None:
    (result,) = check_flows(
        _network(),
        [
            _flow(
                name="x",
                src={"namespace": "ops"},
                dst={"namespace": "shop", "podLabels": {"app": "db"}},
                port="http",
            )
        ],
    )
    assert not result.passed
    assert "no TCP port named 'http'" in result.message


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "x", "src": {"namespace": "a", "ip": "1.2.3.4"}, "dst": {"namespace": "b"}, "port": 80},
        {"name": "x", "src": {}, "dst": {"namespace": "b"}, "port": 80},
        {"name": "x", "src": {"namespace": "a"}, "dst": {"namespace": "b"}, "port": 80, "expect": "maybe"},
        {"name": "x", "src": {"namespace": "a"}, "dst": {"namespace": "b"}},
        {"name": "x", "src": {"namespace": "a", "labels": {}}, "dst": {"namespace": "b"}, "port": 80},
    ],
)
def test_malformed_flows_are_rejected(raw: dict[str, Any]) -> None:
    with pytest.raises(BadInput):
        Flow.from_dict(raw)


def test_flow_side_constructor_checks_exclusivity() -> None:
    with pytest.raises(BadInput):
        FlowSide(namespace="a", ip="10.0.0.1")
