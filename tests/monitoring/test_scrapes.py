"""Prometheus reaches every scrape target the monitors name (derived, proven by the reachability
check); a monitor that selects nothing or names a port that does not exist is a problem; teams never
reach Prometheus or Alertmanager, and Grafana only through the gateway."""

from __future__ import annotations

import copy

from harness import find

from kubeforge.check.reachability import forbidden_flows, reachability_findings, required_flows
from kubeforge.k8s import KObj, namespace_of
from kubeforge.render import Render
from kubeforge.security.inventory import Inventory
from kubeforge.security.scrapes import NODES, scrape_targets


def _targets(objects: list[KObj]) -> tuple[dict[str, set[tuple[str, int]]], list[str]]:
    targets, problems = scrape_targets(Inventory(objects))
    out: dict[str, set[tuple[str, int]]] = {}
    for t in targets:
        out.setdefault(t.monitor, set()).add((t.namespace, t.port))
    return out, problems


def test_every_kube_prometheus_monitor_resolves_to_a_port(production_render: Render) -> None:
    targets, problems = _targets(production_render.objects)
    assert problems == []
    assert targets["ServiceMonitor/monitoring/node-exporter"] == {(NODES, 9100)}  # host network: the nodes
    assert targets["ServiceMonitor/monitoring/kubelet"] == {(NODES, 10250)}
    assert targets["ServiceMonitor/monitoring/kube-apiserver"] == {("*apiserver*", 6443)}
    assert targets["ServiceMonitor/monitoring/coredns"] == {("kube-system", 9153)}
    assert targets["ServiceMonitor/monitoring/prometheus-k8s"] == {("monitoring", 9090), ("monitoring", 8080)}
    assert targets["ServiceMonitor/monitoring/kube-state-metrics"] == {("monitoring", 8443), ("monitoring", 9443)}
    assert targets["ServiceMonitor/monitoring/alertmanager-main"] == {("monitoring", 9093), ("monitoring", 8080)}


def test_a_monitor_port_typo_and_a_selector_that_matches_nothing_are_problems(production_render: Render) -> None:
    objects = copy.deepcopy(production_render.objects)
    grafana = find(objects, "ServiceMonitor", "grafana")
    grafana["spec"]["endpoints"][0]["port"] = "htpp"
    ksm = find(objects, "ServiceMonitor", "kube-state-metrics")
    ksm["spec"]["selector"] = {"matchLabels": {"app.kubernetes.io/name": "kube-state-metric"}}
    _, problems = _targets(objects)
    assert problems == [
        "ServiceMonitor/monitoring/grafana: endpoint port 'htpp' is not a named port of the Services it selects",
        "ServiceMonitor/monitoring/kube-state-metrics selects no rendered Service",
    ]
    # `kubeforge check` reports them as errors.
    findings = reachability_findings(production_render.spec, objects)
    assert {f.message for f in findings if f.rule == "reachability/missing-service"} >= set(problems)


def test_prometheus_reaches_every_target_and_the_check_passes(production_render: Render) -> None:
    spec, objects = production_render.spec, production_render.objects
    names = {f.name for f in required_flows(spec, objects)}
    for expected in (
        "scrape-monitoring-kube-state-metrics-8443:8443/TCP",
        "scrape-monitoring-kubelet-10250:10250/TCP",
        "scrape-monitoring-node-exporter-9100:9100/TCP",
        "alerts-alertmanager-main-9093:9093/TCP",
        "grafana-prometheus-9090:9090/TCP",
        "gateway-grafana-3000:3000/TCP",
    ):
        assert expected in names
    assert [f for f in reachability_findings(spec, objects) if f.severity == "error"] == []


def test_kubelet_scrapes_are_pinned_to_the_nodes_addresses(production_render: Render) -> None:
    policy = find(
        [o for o in production_render.objects if namespace_of(o) == "monitoring"],
        "NetworkPolicy",
        "allow-scrape-monitoring-kubelet-10250-out",
    )
    assert policy["spec"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 10250}]}
    ]


def test_teams_never_reach_prometheus_or_alertmanager_and_grafana_only_through_the_gateway(
    production_render: Render,
) -> None:
    spec, objects = production_render.spec, production_render.objects
    denied = {f.name for f in forbidden_flows(spec, objects)}
    for team in spec.teams:
        assert {
            f"team-to-grafana:3000[{team.name}]",
            f"team-to-prometheus:9090[{team.name}]",
            f"team-to-alertmanager:9093[{team.name}]",
        } <= denied
    # And the check proves them denied (it fails on any forbidden flow allowed).
    assert not [f for f in reachability_findings(spec, objects) if f.rule == "reachability/forbidden"]


def test_opening_prometheus_to_teams_fails_the_check(production_render: Render) -> None:
    objects = copy.deepcopy(production_render.objects)
    # Both sides must be opened: the team's default-deny stops its egress even to an open namespace.
    for ns, direction in (("monitoring", "ingress"), ("ml-research", "egress")):
        objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "oops", "namespace": ns},
                "spec": {"podSelector": {}, "policyTypes": [direction.capitalize()], direction: [{}]},
            }
        )
    forbidden = [
        f.message for f in reachability_findings(production_render.spec, objects) if f.rule == "reachability/forbidden"
    ]
    assert any(m.startswith("team-to-prometheus:9090[ml-research]") for m in forbidden)
    assert any(m.startswith("team-to-grafana:3000[ml-research]") for m in forbidden)
