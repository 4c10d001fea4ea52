"""Mocked runs of the stack for the kind and production profiles, shared by the tests in this folder.

The render needs a fetched cache: fetched once per session from the mirror into a temporary cache.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `stacks` and `policy` are top-level folders of the repository

from kubeforge.fetch import fetch_release  # noqa: E402
from kubeforge.release.store import load_lock  # noqa: E402
from stacks.config import StackConfig  # noqa: E402
from stacks.mocked import MockedRun, memo_renderer, run_mocked  # noqa: E402
from stacks.program import Renderer  # noqa: E402

KIND_TEAMS = [
    {"name": "kubeflow-user-example-com", "owners": ["user@example.com"]},
    {"name": "team-a", "owners": ["a@example.com"], "members": ["b@example.com"]},
    {"name": "team-b", "owners": ["b@example.com"]},
]


@pytest.fixture(scope="session")
def engine_env(tmp_path_factory: pytest.TempPathFactory, upstream: Path) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("cache")
    for release in ("26.03", "v1.11.0"):  # v1.11.0: the upgrade's URN checks render it too
        fetch_release(load_lock(release), cache=cache, mirror=upstream)
    saved = {k: os.environ.get(k) for k in ("KUBEFORGE_CACHE", "KUBEFORGE_STATE")}
    os.environ["KUBEFORGE_CACHE"] = str(cache)
    os.environ["KUBEFORGE_STATE"] = str(tmp_path_factory.mktemp("state"))
    yield cache
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def renderer(engine_env: Path) -> Renderer:
    return memo_renderer()


@pytest.fixture(scope="session")
def kind_run(renderer: Renderer) -> MockedRun:
    return run_mocked(StackConfig("kind", {"teams": KIND_TEAMS}, context="kind-kubeflow"), renderer, stack="kind")


@pytest.fixture(scope="session")
def production_run(renderer: Renderer) -> MockedRun:
    return run_mocked(
        StackConfig(
            "production",
            {"ingress": {"host": "ml.corp.example"}},
            context="prod-admin",
            kubeconfig="/tmp/kubeconfig",
        ),
        renderer,
        stack="production",
    )


@pytest.fixture(scope="session", params=["kind", "production"])
def run(request: pytest.FixtureRequest) -> MockedRun:
    fixture: MockedRun = request.getfixturevalue(f"{request.param}_run")
    return fixture
