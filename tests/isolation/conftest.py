"""The review's render: the production profile with two teams, alpha and beta."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubeforge.k8s import KObj
from kubeforge.spec.model import PlatformSpec

TWO_TEAMS = {
    "identity": {"groups": []},
    "teams": [
        {
            "name": "alpha",
            "owners": ["alice@example.com"],
            "members": ["amy@example.com"],
            "viewers": ["avery@example.com"],
            "groups": {"members": ["alpha-devs"], "viewers": ["alpha-audit"]},
            "egress": {"cidrs": ["10.20.0.0/16"]},
        },
        {
            "name": "beta",
            "owners": ["bob@example.com"],
            "members": ["ben@example.com"],
            "viewers": ["bea@example.com"],
            "egress": {"internet": True},
        },
    ],
}


@pytest.fixture(scope="session")
def two_teams(tmp_path_factory: pytest.TempPathFactory, source_cache: Path) -> tuple[PlatformSpec, list[KObj]]:
    from kubeforge.identity import FileSecretStore
    from kubeforge.render import render_platform
    from kubeforge.spec.load import load_spec

    tmp = tmp_path_factory.mktemp("two-teams")
    overrides = tmp / "two-teams.yaml"
    overrides.write_text(yaml.safe_dump(TWO_TEAMS))
    spec = load_spec("production", [overrides])
    render = render_platform(spec, cache=source_cache, secrets=FileSecretStore(tmp / "secrets"))
    return spec, render.objects
