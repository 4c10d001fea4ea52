"""A PodMonitor for every platform component that serves metrics, read from the rendered pods: each selects
rendered pods and a port they have; sidecar-injected ones are scraped through Istio's merged endpoint."""

from __future__ import annotations

import copy
import json

import yaml
from harness import find

from kubeforge.check.reachability import forbidden_flows, reachability_findings, required_flows
from kubeforge.k8s import KObj, name_of, namespace_of, pod_spec, pod_template_metadata, selects
from kubeforge.monitoring.monitors import (
    APP_PORT_ANNOTATION,
    MERGED_PATH,
    MERGED_PORT,
    PROMETHEUS_ACCOUNT,
    discovery_roles,
    meshed,
)
from kubeforge.names import DEX_TELEMETRY_PORT
from kubeforge.render import Render
from kubeforge.security.inventory import Inventory
from kubeforge.security.scrapes import scrape_targets

EXPECTED = {
    ("istio-system", "istiod"),
    ("istio-system", "istio-ingressgateway"),
    ("istio-system", "cluster-local-gateway"),
    *(
        ("knative-serving", f"knative-{a}")
        for a in ("activator", "autoscaler", "controller", "webhook", "net-istio-controller", "net-istio-webhook")
    ),
    ("kubeflow", "katib-controller"),
    ("kubeflow-system", "kubeflow-trainer-controller-manager"),
    ("cert-manager", "cert-manager"),
    ("oauth2-proxy", "oauth2-proxy"),
    ("kubeflow", "spark-operator"),
    ("kubeflow", "ml-pipeline"),
    ("kubeflow", "notebook-controller"),
    ("auth", "dex"),
    ("monitoring", "inference-services"),
    ("monitoring", "model-registries"),
}


def _monitors(render: Render) -> list[KObj]:
    return [o for o in render.by_component()["monitors"] if o["kind"] == "PodMonitor"]


def _workloads(render: Render, monitor: KObj) -> list[KObj]:
    selector = monitor["spec"]["selector"].get("matchLabels") or {}
    return [
        o
        for o in render.objects
        if pod_spec(o) is not None
        and namespace_of(o) == namespace_of(monitor)
        and selects(selector, pod_template_metadata(o).get("labels") or {})
    ]


def test_every_component_that_serves_metrics_has_a_monitor(production_render: Render) -> None:
    assert {(namespace_of(m), name_of(m)) for m in _monitors(production_render)} == EXPECTED
    assert {m["kind"] for m in _monitors(production_render)} == {"PodMonitor"}


def test_kind_without_monitoring_has_no_monitors(kind_render: Render) -> None:
    assert "monitors" not in kind_render.by_component()
    assert not [o for o in kind_render.objects if o["kind"] in ("PodMonitor", "ServiceMonitor")]


def test_every_monitor_selects_rendered_pods_and_a_port_they_have(production_render: Render) -> None:
    _, problems = scrape_targets(Inventory(production_render.objects))
    assert problems == []
    injection = {
        name_of(o): (o["metadata"].get("labels") or {}).get("istio-injection") == "enabled"
        for o in production_render.objects
        if o["kind"] == "Namespace"
    }
    for m in _monitors(production_render):
        if name_of(m) in ("inference-services", "model-registries"):
            continue
        workloads = _workloads(production_render, m)
        assert workloads, f"{name_of(m)} selects no rendered workload"
        [endpoint] = m["spec"]["podMetricsEndpoints"]
        if endpoint.get("portNumber") == MERGED_PORT:
            # Meshed: the app's port, named on the monitor, is the one handed to Istio's injector.
            assert endpoint["path"] == MERGED_PATH
            app_port = m["metadata"]["annotations"][APP_PORT_ANNOTATION]
            for w in workloads:
                assert meshed(w, injection), name_of(w)
                ann = pod_template_metadata(w)["annotations"]
                assert ann["prometheus.io/scrape"] == "true"
                ports = {
                    p["name"]: p["containerPort"]
                    for c in pod_spec(w)["containers"]
                    for p in c.get("ports") or []
                    if "name" in p
                }  # type: ignore[index]
                assert ann["prometheus.io/port"] == str(ports.get(app_port, app_port))
        else:
            for w in workloads:
                assert not meshed(w, injection), f"{name_of(w)} has a sidecar: a plain scrape would fail under STRICT"
                names = {p.get("name") for c in pod_spec(w)["containers"] for p in c.get("ports") or []}  # type: ignore[index]
                assert endpoint["port"] in names, f"{name_of(m)}: {name_of(w)} has no port {endpoint['port']}"


def test_a_pod_monitor_port_typo_is_a_problem(production_render: Render) -> None:
    objects = copy.deepcopy(production_render.objects)
    find(objects, "PodMonitor", "oauth2-proxy")["spec"]["podMetricsEndpoints"][0]["port"] = "metric"
    _, problems = scrape_targets(Inventory(objects))
    assert problems == [
        "PodMonitor/oauth2-proxy/oauth2-proxy: endpoint port 'metric' is not a named container port of the pods it selects"
    ]


def test_inference_services_are_scraped_per_team_through_kserve_aggregation(production_render: Render) -> None:
    monitor = find(_monitors(production_render), "PodMonitor", "inference-services")
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["ml-research"]}
    assert monitor["spec"]["selector"] == {
        "matchExpressions": [{"key": "serving.kserve.io/inferenceservice", "operator": "Exists"}]
    }
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["relabelings"][0]["targetLabel"] == "inferenceservice"
    config = find(production_render.objects, "ConfigMap", "inferenceservice-config")
    assert json.loads(config["data"]["metricsAggregator"]) == {
        "enableMetricAggregation": "true",
        "enablePrometheusScraping": "true",
    }
    names = {f.name for f in required_flows(production_render.spec, production_render.objects)}
    assert "scrape-monitoring-inference-services-15020[ml-research]:15020/TCP" in names


def test_dex_serves_metrics_on_its_telemetry_listener_only_with_monitoring_on(
    production_render: Render, kind_render: Render
) -> None:
    config = yaml.safe_load(find(production_render.objects, "ConfigMap", "dex")["data"]["config.yaml"])
    assert config["telemetry"] == {"http": f"0.0.0.0:{DEX_TELEMETRY_PORT}"}
    [container] = pod_spec(find(production_render.objects, "Deployment", "dex"))["containers"]  # type: ignore[index]
    assert {"name": "telemetry", "containerPort": DEX_TELEMETRY_PORT, "protocol": "TCP"} in container["ports"]
    # kind keeps monitoring off: Dex's config and pod are upstream's (no listener nobody scrapes).
    kind_config = yaml.safe_load(find(kind_render.objects, "ConfigMap", "dex")["data"]["config.yaml"])
    assert "telemetry" not in kind_config
    [kind_container] = pod_spec(find(kind_render.objects, "Deployment", "dex"))["containers"]  # type: ignore[index]
    assert [p["name"] for p in kind_container["ports"]] == ["http"]


def test_each_teams_model_registry_is_scraped_through_its_sidecar(production_render: Render) -> None:
    monitor = find(_monitors(production_render), "PodMonitor", "model-registries")
    teams = sorted(t.name for t in production_render.spec.teams)
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": teams}
    assert monitor["spec"]["podMetricsEndpoints"] == [{"portNumber": MERGED_PORT, "path": MERGED_PATH}]
    targets, problems = scrape_targets(Inventory(production_render.objects))
    assert problems == []
    mine = [t for t in targets if t.monitor == "PodMonitor/monitoring/model-registries"]
    assert sorted(t.namespace for t in mine) == teams
    names = {f.name for f in required_flows(production_render.spec, production_render.objects)}
    assert "scrape-monitoring-model-registries-15020:15020/TCP" in names


def test_prometheus_may_list_pods_wherever_a_monitor_looks(production_render: Render) -> None:
    """kube-prometheus grants Prometheus discovery in default, kube-system and monitoring only; kubeforge adds
    its per-namespace Role for every other namespace a monitor looks in (teams' included)."""
    looked = {
        str(n)
        for m in production_render.objects
        if m["kind"] in ("PodMonitor", "ServiceMonitor")
        for n in (m["spec"].get("namespaceSelector") or {}).get("matchNames") or [namespace_of(m)]
    }
    bound = {
        namespace_of(o)
        for o in production_render.objects
        if o["kind"] == "RoleBinding"
        and {"kind": "ServiceAccount", "name": PROMETHEUS_ACCOUNT, "namespace": "monitoring"} in o["subjects"]
    }
    assert looked <= bound
    assert {"kubeflow", "auth", "istio-system", "ml-research"} <= bound
    role = next(
        o
        for o in production_render.objects
        if o["kind"] == "Role" and name_of(o) == PROMETHEUS_ACCOUNT and namespace_of(o) == "kubeflow"
    )
    assert {"pods", "services"} <= set(role["rules"][0]["resources"])
    assert set(role["rules"][0]["verbs"]) == {"get", "list", "watch"}
    assert discovery_roles([]) == []


def test_prometheus_reaches_meshed_targets_on_the_merged_port_only(production_render: Render) -> None:
    denied = {f.name for f in forbidden_flows(production_render.spec, production_render.objects)}
    for name in (
        "prometheus-to-ml-pipeline:kubeflow/8888",
        "prometheus-to-notebook-controller:kubeflow/8080",
        "prometheus-to-dex:auth/5558",
        "prometheus-to-model-registries:ml-research/8080",
    ):
        assert name in denied
    findings = [
        f for f in reachability_findings(production_render.spec, production_render.objects) if "prometheus" in f.message
    ]
    assert findings == []
