"""Alertmanager's receivers from the spec: none by default (upstream's empty receivers stay), else one
route per receiver for its severities. Secret values never enter the configuration: each is a file the
operator mounts from a Secret (referenced by the spec, or generated per install)."""

from __future__ import annotations

from typing import Any

import yaml

from kubeforge.k8s import KObj, meta, obj
from kubeforge.monitoring.names import ALERTMANAGER_SECRETS_DIR, COMPONENT, NAMESPACE
from kubeforge.names import GENERATED_SECRET_ANNOTATION
from kubeforge.spec.model import EmailReceiver, MonitoringSpec, Receiver, SlackReceiver, WebhookReceiver

TOKEN_KEY = "token"


def token_secret_name(receiver: WebhookReceiver) -> str:
    return f"alertmanager-webhook-{receiver.name}"


def _file(ref: str) -> tuple[str, str]:
    """name/key -> (Secret name, the file the operator mounts it at)."""
    name, key = ref.split("/", 1)
    return name, f"{ALERTMANAGER_SECRETS_DIR}/{name}/{key}"


def _receiver(r: Receiver, secrets: set[str]) -> dict[str, Any]:
    if isinstance(r, WebhookReceiver):
        cfg: dict[str, Any] = {"send_resolved": True}
        if r.url_secret_ref:
            name, path = _file(r.url_secret_ref)
            secrets.add(name)
            cfg["url_file"] = path
        else:
            cfg["url"] = r.url
        if r.bearer_token == "generated":
            name, path = _file(f"{token_secret_name(r)}/{TOKEN_KEY}")
            secrets.add(name)
            cfg["http_config"] = {"authorization": {"type": "Bearer", "credentials_file": path}}
        return {"name": r.name, "webhook_configs": [cfg]}
    if isinstance(r, EmailReceiver):
        cfg = {"to": r.to, "from": r.sender, "smarthost": r.smarthost, "send_resolved": True}
        if r.auth_username:
            cfg["auth_username"] = r.auth_username
        if r.auth_password_secret_ref:
            name, path = _file(r.auth_password_secret_ref)
            secrets.add(name)
            cfg["auth_password_file"] = path
        return {"name": r.name, "email_configs": [cfg]}
    assert isinstance(r, SlackReceiver)
    name, path = _file(r.api_url_secret_ref)
    secrets.add(name)
    return {"name": r.name, "slack_configs": [{"channel": r.channel, "api_url_file": path, "send_resolved": True}]}


def alertmanager_config(upstream: str, monitoring: MonitoringSpec) -> tuple[str, list[str]]:
    """Upstream's configuration with the spec's receivers and routes; and the Secrets it reads files from."""
    config = yaml.safe_load(upstream)
    secrets: set[str] = set()
    receivers = [_receiver(r, secrets) for r in monitoring.receivers]
    config["receivers"] = [*config.get("receivers", []), *receivers]
    route = config.setdefault("route", {})
    routes = list(route.get("routes") or [])
    # After upstream's Watchdog and InfoInhibitor routes, before its catch-all Critical: `continue` lets
    # an alert reach every receiver that takes its severity.
    first = sum(1 for r in routes if r.get("receiver") in ("Watchdog", "null"))
    ours = [
        {"matchers": [f'severity =~ "{"|".join(r.severities)}"'], "receiver": r.name, "continue": True}
        for r in monitoring.receivers
    ]
    route["routes"] = routes[:first] + ours + routes[first:]
    return yaml.safe_dump(config, sort_keys=False), sorted(secrets)


def token_secrets(monitoring: MonitoringSpec) -> list[KObj]:
    """One generated Secret per webhook receiver with `bearer_token: generated`."""
    out = []
    for r in monitoring.receivers:
        if isinstance(r, WebhookReceiver) and r.bearer_token == "generated":
            md = meta(token_secret_name(r), NAMESPACE, COMPONENT)
            md["annotations"] = {GENERATED_SECRET_ANNOTATION: f"{TOKEN_KEY}=alertmanager-webhook-{r.name}-token"}
            out.append(obj("v1", "Secret", md, type="Opaque"))
    return out
