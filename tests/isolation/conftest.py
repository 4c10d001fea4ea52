"""The review's render: the production profile with two teams, alpha and beta."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from platform_render import MIRROR, need_mirror

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
def two_teams(tmp_path_factory: pytest.TempPathFactory) -> tuple[PlatformSpec, list[KObj]]:
    from kubeforge.fetch import fetch_release
    from kubeforge.identity import FileSecretStore
    from kubeforge.release.store import load_lock
    from kubeforge.render import render_platform
    from kubeforge.spec.load import load_spec

    need_mirror()
    tmp = tmp_path_factory.mktemp("two-teams")
    overrides = tmp / "two-teams.yaml"
    overrides.write_text(yaml.safe_dump(TWO_TEAMS))
    spec = load_spec("production", [overrides])
    cache = Path(os.environ.get("KUBEFORGE_CACHE") or tmp / "cache")
    fetch_release(load_lock(spec.release), cache=cache, mirror=MIRROR)
    render = render_platform(spec, cache=cache, secrets=FileSecretStore(tmp / "secrets"))
    return spec, render.objects
