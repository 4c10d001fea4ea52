"""The `monitoring` component (kube-prometheus) configured for this platform: sized per profile,
Grafana behind the platform's sign-on, Alertmanager's receivers from the spec.

`configure_monitoring` is the render's "configure monitoring" step: it rewrites kube-prometheus's own
objects and adds the few kubeforge needs (Grafana's route and admin Secret, receiver tokens).
"""

from __future__ import annotations

from kubeforge.k8s import KObj, name_of
from kubeforge.monitoring.alertmanager import alertmanager_config, token_secrets
from kubeforge.monitoring.alerts import prometheus_rule
from kubeforge.monitoring.dashboards import dashboard_config_maps, mount_dashboards
from kubeforge.monitoring.grafana import admin_secret, configure_grafana, virtual_service
from kubeforge.monitoring.monitors import component_monitors
from kubeforge.monitoring.names import ALERTMANAGER_CONFIG_KEY, ALERTMANAGER_CONFIG_SECRET, NAMESPACE
from kubeforge.monitoring.operated import size_operated
from kubeforge.names import CONFIG_ONLY_ANNOTATION
from kubeforge.spec.model import PlatformSpec

__all__ = ["NAMESPACE", "component_monitors", "configure_monitoring"]

# Secrets that hold configuration only (every credential in them is a file mounted from another Secret).
CONFIG_ONLY = {
    "alertmanager-main": "Alertmanager's routes and receivers; receiver credentials are files from other Secrets",
    "grafana-config": "grafana.ini; Grafana's admin password comes from the generated grafana-admin Secret",
    "grafana-datasources": "the in-cluster Prometheus data source URL; no credential",
}
PSS = "pod-security.kubernetes.io/enforce"


def configure_monitoring(objects: list[KObj], spec: PlatformSpec) -> list[KObj]:
    secrets: list[str] = []
    for o in objects:
        kind, name = o.get("kind"), name_of(o)
        if kind == "Namespace" and name == NAMESPACE:
            # node-exporter reads the host's /proc and /sys on the host's network: only privileged admits it
            # (KF006's allow-list still limits host access to node-exporter).
            o["metadata"].setdefault("labels", {})[PSS] = "privileged"
        elif kind == "Secret" and name == ALERTMANAGER_CONFIG_SECRET:
            config, secrets = alertmanager_config(o["stringData"][ALERTMANAGER_CONFIG_KEY], spec.monitoring)
            o["stringData"] = {ALERTMANAGER_CONFIG_KEY: config}
        if kind == "Secret" and name in CONFIG_ONLY:
            o["metadata"].setdefault("annotations", {})[CONFIG_ONLY_ANNOTATION] = CONFIG_ONLY[name]
    size_operated(objects, spec, secrets)
    configure_grafana(objects, spec)
    for o in objects:
        if o.get("kind") == "Deployment" and name_of(o) == "grafana":
            mount_dashboards(o)
    extra = [admin_secret(), virtual_service(spec), *token_secrets(spec.monitoring)]
    return [*objects, *extra, prometheus_rule(spec), *dashboard_config_maps()]
