"""Names the monitoring layer shares with the security layer, the policy rules and its tests."""

from __future__ import annotations

COMPONENT = "monitoring"
NAMESPACE = "monitoring"
GRAFANA = "grafana"
GRAFANA_PORT = 3000
GRAFANA_PATH = "/grafana/"
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_ADMIN_KEY = "admin-password"
GRAFANA_ADMIN_VALUE_ID = "grafana-admin-password"
# Set by the gateway's route (never by the client: the route overwrites it) and read by Grafana's auth proxy.
ROLE_HEADER = "x-kubeforge-grafana-role"
ALERTMANAGER_CONFIG_SECRET = "alertmanager-main"
ALERTMANAGER_CONFIG_KEY = "alertmanager.yaml"
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets"  # where the operator mounts spec.secrets
