"""Issue 16 on a real kube-apiserver: the laptop render with monitoring switched on. The Prometheus
Operator's CRDs (kube-prometheus v0.18.0, as rendered) become Established, and every object of the
`monitoring` and `monitors` components (Prometheus, Alertmanager, the PrometheusRule, ServiceMonitors,
kubeforge's PodMonitors, Grafana and its dashboards, the discovery Roles) is accepted by the API server
under server-side apply, each custom resource validated against its CRD's schema by the server itself.

Nothing here runs the operator or Prometheus (no images, no data plane): scraping is proven by
`kubeforge check`'s reachability, not here. What the server does decide is checked from it: Prometheus's
service account may list pods in every namespace a monitor looks in, and not in one none does.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from e2e.harness.cluster import Cluster
from e2e.harness.live import apply, kubectl
from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.monitoring.monitors import PROMETHEUS_ACCOUNT

PROMETHEUS = f"system:serviceaccount:monitoring:{PROMETHEUS_ACCOUNT}"
MONITORING_GROUP = "monitoring.coreos.com"


@pytest.fixture(scope="module")
def kind_monitoring_objects(tmp_path_factory: pytest.TempPathFactory, source_cache: Path) -> list[KObj]:
    """kind with `components.monitoring.enabled: true` (the laptop profile, monitoring on)."""
    from kubeforge.identity import FileSecretStore
    from kubeforge.render import render_platform
    from kubeforge.spec.load import load_spec

    tmp = tmp_path_factory.mktemp("kind-monitoring")
    spec = load_spec("kind", extra={"components": {"monitoring": {"enabled": True}}})
    render = render_platform(spec, cache=source_cache, secrets=FileSecretStore(tmp / "secrets"))
    return render.objects


def _monitoring(objects: list[KObj]) -> list[KObj]:
    return [
        o
        for o in objects
        if (o["metadata"].get("labels") or {}).get("kubeforge.io/component") in ("monitoring", "monitors")
        and o["kind"] != "CustomResourceDefinition"
    ]


@pytest.fixture(scope="module")
def applied(cluster: Cluster, kind_monitoring_objects: list[KObj]) -> tuple[Cluster, list[KObj]]:
    """Every CRD of the render (the operator's, and Istio's for Grafana's route), Established; the render's
    Namespaces; then the monitoring and monitors components' objects, all server-side applied."""
    objects = kind_monitoring_objects
    crds = [o for o in objects if o["kind"] == "CustomResourceDefinition"]
    apply(cluster.kubeconfig, crds)
    names = [f"crd/{name_of(c)}" for c in crds]
    out = kubectl(cluster.kubeconfig, "wait", "--for=condition=Established", "--timeout=120s", *names)
    assert out.returncode == 0, out.stderr[-3000:]
    apply(cluster.kubeconfig, [o for o in objects if o["kind"] == "Namespace"])
    apply(cluster.kubeconfig, _monitoring(objects))
    return cluster, objects


def test_the_operators_crds_are_established(applied: tuple[Cluster, list[KObj]]) -> None:
    cluster, objects = applied
    rendered = {
        name_of(o)
        for o in objects
        if o["kind"] == "CustomResourceDefinition" and o["spec"]["group"] == MONITORING_GROUP
    }
    assert {"prometheuses.monitoring.coreos.com", "podmonitors.monitoring.coreos.com"} <= rendered
    served = json.loads(cluster.kubectl("get", "crd", "-o", "json"))["items"]
    established = {
        c["metadata"]["name"]
        for c in served
        if c["spec"]["group"] == MONITORING_GROUP
        and any(s["type"] == "Established" and s["status"] == "True" for s in c["status"]["conditions"])
    }
    assert established == rendered
    # The API server serves the group's kinds (discovery), so the objects below are real resources.
    resources = cluster.kubectl("api-resources", f"--api-group={MONITORING_GROUP}", "-o", "name")
    for kind in ("prometheuses", "alertmanagers", "podmonitors", "servicemonitors", "prometheusrules"):
        assert f"{kind}.{MONITORING_GROUP}" in resources.split()


def test_every_monitoring_object_is_accepted(applied: tuple[Cluster, list[KObj]]) -> None:
    cluster, objects = applied
    mine = _monitoring(objects)
    wanted = Counter(
        o["kind"] for o in mine if o["kind"] in ("PodMonitor", "ServiceMonitor", "PrometheusRule", "Prometheus")
    )
    assert wanted["PodMonitor"] >= 10 and wanted["Prometheus"] == 1
    for kind, count in wanted.items():
        items = json.loads(cluster.kubectl("get", kind.lower(), "-A", "-o", "json"))["items"]
        served = {(i["metadata"]["namespace"], i["metadata"]["name"]) for i in items}
        rendered = {(namespace_of(o), name_of(o)) for o in mine if o["kind"] == kind}
        assert served == rendered, kind
        assert len(served) == count
    # The server kept what it was given (no field pruned by the CRD's structural schema).
    rule = json.loads(cluster.kubectl("get", "prometheusrule", "-n", "monitoring", "kubeforge-platform", "-o", "json"))
    ours = next(o for o in mine if o["kind"] == "PrometheusRule" and name_of(o) == "kubeforge-platform")
    assert rule["spec"] == ours["spec"]
    registry = json.loads(cluster.kubectl("get", "podmonitor", "-n", "monitoring", "model-registries", "-o", "json"))
    assert registry["spec"] == next(o["spec"] for o in mine if name_of(o) == "model-registries")


def test_a_schema_violation_is_refused_by_the_server(applied: tuple[Cluster, list[KObj]]) -> None:
    """The acceptance above means something: the same CRD refuses a PodMonitor whose endpoint port is a list."""
    cluster, objects = applied
    bad = next(o for o in _monitoring(objects) if o["kind"] == "PodMonitor" and name_of(o) == "ml-pipeline")
    bad = json.loads(json.dumps(bad))
    bad["metadata"]["name"] = "broken"
    bad["spec"]["podMetricsEndpoints"][0]["portNumber"] = ["15020"]
    out = kubectl(
        cluster.kubeconfig,
        "apply",
        "--server-side",
        "--field-manager=kubeforge-e2e",
        "-f",
        "-",
        stdin=yaml.safe_dump(bad),
    )
    assert out.returncode != 0
    assert "portNumber" in out.stderr


def test_prometheus_may_discover_pods_where_monitors_look_and_nowhere_else(applied: tuple[Cluster, list[KObj]]) -> None:
    cluster, objects = applied
    looked = {
        str(n)
        for o in _monitoring(objects)
        if o["kind"] in ("PodMonitor", "ServiceMonitor")
        for n in (o["spec"].get("namespaceSelector") or {}).get("matchNames") or [namespace_of(o)]
    }
    assert {"kubeflow", "auth", "istio-system", "monitoring"} <= looked
    for ns in sorted(looked):
        out = kubectl(cluster.kubeconfig, "auth", "can-i", "list", "pods", f"--as={PROMETHEUS}", "-n", ns)
        assert out.stdout.strip() == "yes", ns
    namespaces = {name_of(o) for o in objects if o["kind"] == "Namespace"}
    unwatched = sorted(namespaces - looked)
    assert unwatched, "every rendered namespace is monitored: nothing to prove the grant is per namespace"
    out = kubectl(cluster.kubeconfig, "auth", "can-i", "list", "pods", f"--as={PROMETHEUS}", "-n", unwatched[0])
    assert out.stdout.strip() == "no", unwatched[0]
