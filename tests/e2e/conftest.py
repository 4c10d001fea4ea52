"""Fixtures of the end-to-end tests: the real tools (scripts/e2e-tools) and a real control plane.

They run under `make e2e` (KUBEFORGE_E2E=1); `make test` skips them and stays offline and quick.
Under `make e2e` a missing tool skips with what is missing, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.harness.cluster import Cluster, running

REPO = Path(__file__).resolve().parents[2]
TOOLS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
    "pulumi",
    "pulumi-resource-kubernetes",
    "pulumi-resource-random",
)


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the e2e step must not skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def e2e_tools() -> Path:
    """The folder of the tools built from e2e/tools/ (cache of scripts/e2e-tools)."""
    if os.environ.get("KUBEFORGE_E2E") != "1":
        pytest.skip("end-to-end test: runs with make e2e (KUBEFORGE_E2E=1)")
    if not shutil.which("kubectl"):
        _missing("kubectl is not on PATH")
    env = os.environ.get("KUBEFORGE_E2E_TOOLS")
    if env:
        tools = Path(env)
    else:
        out = subprocess.run([str(REPO / "scripts" / "e2e-tools"), "--print"], capture_output=True, text=True)
        if out.returncode != 0:
            _missing(f"e2e tools not built: {out.stderr.strip()}")
        tools = Path(out.stdout.strip())
    absent = [t for t in TOOLS if not (tools / t).is_file()]
    if absent:
        _missing(f"e2e tools missing in {tools}: {', '.join(absent)} (run make e2e-tools)")
    os.environ["KUBEFORGE_E2E_TOOLS"] = str(tools)
    return tools


@pytest.fixture(scope="module")
def cluster(e2e_tools: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A fresh control plane per test module; stopped (no process, no port left) at its end."""
    with running(tmp_path_factory.mktemp("control-plane"), ttl=3600) as c:
        yield c
