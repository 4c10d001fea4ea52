"""The monitoring component (kube-prometheus v0.18.0) as rendered: locked, placed, sized per profile,
Grafana behind the sign-on with no default password, Alertmanager's receivers from the spec."""

from __future__ import annotations

import base64
import configparser
from decimal import Decimal

import pytest
import yaml
from harness import Run, find

from kubeforge.k8s import KObj, annotations_of, name_of, namespace_of, pod_spec
from kubeforge.monitoring.names import ROLE_HEADER
from kubeforge.names import GENERATED_SECRET_ANNOTATION, USERID_HEADER
from kubeforge.policy.rules import RULES, PolicyContext, evaluate
from kubeforge.release.model import Lock
from kubeforge.render import Render
from kubeforge.render.footprint import footprint


def _monitoring(render: Render) -> list[KObj]:
    return render.by_component()["monitoring"]


def _ini(render: Render) -> configparser.ConfigParser:
    ini = configparser.ConfigParser()
    ini.read_string(find(_monitoring(render), "Secret", "grafana-config")["stringData"]["grafana.ini"])
    return ini


def _alertmanager_config(render: Render) -> dict[str, object]:
    secret = find(_monitoring(render), "Secret", "alertmanager-main")
    doc = yaml.safe_load(secret["stringData"]["alertmanager.yaml"])
    assert isinstance(doc, dict)
    return doc


def test_the_lock_pins_kube_prometheus_and_its_kubernetes_range(lock_2603: Lock) -> None:
    comp = lock_2603.components["monitoring"]
    assert comp.version == "v0.18.0" and comp.source == "kube-prometheus"
    assert comp.kubernetes is not None and (comp.kubernetes.min, comp.kubernetes.max) == ("1.33", "1.36")
    assert lock_2603.sources["kube-prometheus"].commit == "4775d44d1aacfab7effa08293357521a3c603b87"
    assert "kube-prometheus:manifests/setup/0prometheusCustomResourceDefinition.yaml" in comp.files
    # Dropped by the release's edit (the resource metrics API clash, no Probe, allow-all egress).
    assert not any("prometheusAdapter" in f or "blackbox" in f or "networkPolicy" in f for f in comp.files)


def test_kubernetes_outside_kube_prometheus_range_is_refused_while_monitoring_is_on(kubeforge: Run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    over = tmp_path / "k137.yaml"
    over.write_text('cluster: {kubernetes: "1.37"}\n')
    result = kubeforge("spec", "show", "--profile", "production", "--overrides", over)
    assert result.rc == 2
    assert result.error_line == (
        f"error: {over}: cluster.kubernetes: Kubernetes 1.37 is outside component monitoring's supported range "
        "(1.33 to 1.36); switch monitoring off or pick a version in it"
    )
    off = tmp_path / "off.yaml"
    off.write_text('cluster: {kubernetes: "1.37"}\ncomponents: {monitoring: {enabled: false}}\n')
    assert kubeforge("spec", "show", "--profile", "production", "--overrides", off).rc == 0


def test_kind_leaves_monitoring_off_by_default(kind_render: Render) -> None:
    assert "monitoring" not in kind_render.by_component()
    assert not [o for o in kind_render.objects if namespace_of(o) == "monitoring"]


def test_kube_prometheus_is_placed_in_monitoring_without_upstream_policies(production_render: Render) -> None:
    objs = _monitoring(production_render)
    kinds = {o["kind"] for o in objs}
    assert {"Prometheus", "Alertmanager", "ServiceMonitor", "PrometheusRule", "DaemonSet"} <= kinds
    assert "APIService" not in kinds and "NetworkPolicy" not in kinds  # dropped; kubeforge derives the policies
    # Workloads in monitoring; Prometheus's read Roles also in the namespaces its monitors look into.
    assert {namespace_of(o) for o in objs if pod_spec(o) is not None} == {"monitoring"}
    assert {namespace_of(o) for o in objs if o["kind"] == "Role"} == {"default", "kube-system", "monitoring"}
    ns = find(objs, "Namespace", "monitoring")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"  # node-exporter
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] == "v1.34"
    deny = find(
        [o for o in production_render.objects if namespace_of(o) == "monitoring"], "NetworkPolicy", "default-deny"
    )
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


@pytest.mark.parametrize(
    ("fixture", "replicas", "retention", "memory"),
    [("production_render", 2, "15d", "400Mi"), ("kind_monitoring", 1, "1d", "256Mi")],
)
def test_prometheus_and_alertmanager_are_sized_per_profile(
    request: pytest.FixtureRequest, fixture: str, replicas: int, retention: str, memory: str
) -> None:
    render: Render = request.getfixturevalue(fixture)
    prom = find(_monitoring(render), "Prometheus", "k8s")["spec"]
    assert (prom["replicas"], prom["retention"], prom["resources"]["requests"]["memory"]) == (
        replicas,
        retention,
        memory,
    )
    assert prom["resources"]["limits"]["memory"]
    assert find(_monitoring(render), "Alertmanager", "main")["spec"]["replicas"] == replicas


def test_kind_with_monitoring_fits_the_laptop_budget(kind_monitoring: Render, kind_render: Render) -> None:
    total = footprint(kind_monitoring.objects)
    assert total.memory <= 4 * 2**30, f"{total.memory / 2**30:.3f} GiB requested with monitoring on"
    # The operator's pods are counted: Prometheus (256Mi + its 50Mi reloader) and Alertmanager at least.
    assert total.memory - footprint(kind_render.objects).memory >= Decimal(256 + 50 + 100 + 50) * 2**20


def test_grafana_signs_in_through_the_gateway_headers_only(production_render: Render) -> None:
    ini = _ini(production_render)
    assert ini["auth.proxy"]["enabled"] == "true"
    assert ini["auth.proxy"]["header_name"] == USERID_HEADER
    assert ini["auth.proxy"]["header_property"] == "email"
    assert ini["auth.proxy"]["headers"] == f"Role:{ROLE_HEADER}"
    assert ini["auth"]["disable_login_form"] == "true"
    assert ini["users"]["auto_assign_org_role"] == "Viewer"
    assert ini["server"]["root_url"] == "https://kubeflow.example.com/grafana/"
    assert ini["server"]["serve_from_sub_path"] == "true"


def test_grafana_route_sets_the_role_from_the_admin_groups(kind_monitoring: Render) -> None:
    vs = find(_monitoring(kind_monitoring), "VirtualService", "grafana")
    assert vs["spec"]["gateways"] == ["kubeflow/kubeflow-gateway"]
    admins, viewers = vs["spec"]["http"]
    assert [m["headers"] for m in admins["match"]] == [
        {"@request.auth.claims.groups": {"exact": "platform-admins"}},
        {"@request.auth.claims.groups": {"exact": "sre"}},
    ]
    assert admins["headers"]["request"]["set"] == {ROLE_HEADER: "Admin"}
    assert viewers["match"] == [{"uri": {"prefix": "/grafana/"}}]
    assert viewers["headers"]["request"]["set"] == {ROLE_HEADER: "Viewer"}  # `set`: a client's header is replaced
    for route in (admins, viewers):
        assert route["route"][0]["destination"] == {
            "host": "grafana.monitoring.svc.cluster.local",
            "port": {"number": 3000},
        }
    assert kind_monitoring.spec.ingress.port == 8443
    assert _ini(kind_monitoring)["server"]["root_url"] == "https://localhost:8443/grafana/"


def test_grafana_has_no_default_admin_password(production_render: Render, kind_monitoring: Render) -> None:
    for render in (production_render, kind_monitoring):
        objs = _monitoring(render)
        grafana = find(objs, "Deployment", "grafana")
        env = {e["name"]: e for e in (pod_spec(grafana) or {})["containers"][0]["env"]}
        assert env["GF_SECURITY_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "grafana-admin",
            "key": "admin-password",
        }
        secret = find(objs, "Secret", "grafana-admin")
        assert annotations_of(secret)[GENERATED_SECRET_ANNOTATION] == "admin-password=grafana-admin-password"
    assert "data" not in find(_monitoring(production_render), "Secret", "grafana-admin")  # filled at apply
    value = base64.b64decode(find(_monitoring(kind_monitoring), "Secret", "grafana-admin")["data"]["admin-password"])
    assert len(value) >= 16 and value != b"admin"


def test_alertmanager_has_no_receivers_by_default(production_render: Render) -> None:
    config = _alertmanager_config(production_render)
    assert [r["name"] for r in config["receivers"]] == ["Default", "Watchdog", "Critical", "null"]  # type: ignore[index]
    assert all(set(r) == {"name"} for r in config["receivers"])  # type: ignore[union-attr]
    assert find(_monitoring(production_render), "Alertmanager", "main")["spec"]["secrets"] == []


def test_alertmanager_receivers_come_from_the_spec_with_secrets_as_files(kind_monitoring: Render) -> None:
    config = _alertmanager_config(kind_monitoring)
    receivers = {r["name"]: r for r in config["receivers"]}  # type: ignore[union-attr]
    base = "/etc/alertmanager/secrets"
    hook = receivers["ops-hook"]["webhook_configs"][0]
    assert hook["url"] == "https://hooks.example.com/alerts"
    assert hook["http_config"]["authorization"]["credentials_file"] == f"{base}/alertmanager-webhook-ops-hook/token"
    assert receivers["pager"]["webhook_configs"][0]["url_file"] == f"{base}/pager-url/url"
    mail = receivers["ml-ops-mail"]["email_configs"][0]
    assert (mail["to"], mail["from"], mail["auth_password_file"]) == (
        "ml-ops@example.com",
        "alertmanager@example.com",
        f"{base}/smtp/password",
    )
    assert receivers["ml-alerts"]["slack_configs"][0]["api_url_file"] == f"{base}/slack-hook/url"
    routes = config["route"]["routes"]  # type: ignore[index]
    assert [r["receiver"] for r in routes] == [
        "Watchdog",
        "null",
        "ops-hook",
        "pager",
        "ml-ops-mail",
        "ml-alerts",
        "Critical",
    ]
    assert routes[3] == {"matchers": ['severity =~ "critical"'], "receiver": "pager", "continue": True}
    mounted = find(_monitoring(kind_monitoring), "Alertmanager", "main")["spec"]["secrets"]
    assert mounted == ["alertmanager-webhook-ops-hook", "pager-url", "slack-hook", "smtp"]
    token = find(_monitoring(kind_monitoring), "Secret", "alertmanager-webhook-ops-hook")
    assert annotations_of(token)[GENERATED_SECRET_ANNOTATION] == "token=alertmanager-webhook-ops-hook-token"
    assert token["data"]["token"]  # kind: generated into the render; elsewhere filled at apply


def test_monitoring_passes_the_policy_rules_in_production(production_render: Render) -> None:
    spec = production_render.spec
    objs = production_render.objects
    findings = evaluate(objs, PolicyContext(kind=spec.is_kind), RULES)
    ours = {name_of(o) for o in _monitoring(production_render)}
    assert [f for f in findings if f.severity == "error" and f.object.rsplit("/", 1)[-1] in ours] == []
