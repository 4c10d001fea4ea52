"""Monitoring fixtures: the kind profile with monitoring switched on and receivers of every type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubeforge.render import Render, render_platform
from kubeforge.spec.load import load_spec

RECEIVERS: dict[str, Any] = {
    "components": {"monitoring": {"enabled": True}},
    "monitoring": {
        "admin_groups": ["platform-admins", "sre"],
        "receivers": [
            {
                "type": "webhook",
                "name": "ops-hook",
                "url": "https://hooks.example.com/alerts",
                "bearer_token": "generated",
            },
            {"type": "webhook", "name": "pager", "url_secret_ref": "pager-url/url", "severities": ["critical"]},
            {
                "type": "email",
                "name": "ml-ops-mail",
                "to": "ml-ops@example.com",
                "sender": "alertmanager@example.com",
                "smarthost": "smtp.example.com:587",
                "auth_username": "alertmanager",
                "auth_password_secret_ref": "smtp/password",
            },
            {"type": "slack", "name": "ml-alerts", "channel": "#ml-alerts", "api_url_secret_ref": "slack-hook/url"},
        ],
    },
}


@pytest.fixture(scope="session")
def kind_monitoring(source_cache: Path, state_dir: Path) -> Render:
    """kind with monitoring on (and every receiver type): the laptop budget must still hold."""
    from kubeforge.cli.render import secret_store

    spec = load_spec("kind", extra=RECEIVERS)
    return render_platform(spec, cache=source_cache, secrets=secret_store(spec))
