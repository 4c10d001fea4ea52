"""The real Pulumi CLI (built by scripts/e2e-tools) reads the project's Pulumi.yaml and stack files.

Defect seen (issue 12): `kubeforge:context` and `kubeforge:kubeconfig` were declared without a default,
so every `up`/`preview`/`destroy` of a stack that does not set both stopped before the program ran:
"validating stack config: Stack 'kind' is missing configuration value 'kubeconfig'".
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _pulumi(tools: Path, home: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PULUMI_HOME": str(home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_CONFIG_PASSPHRASE": "e2e",
        "PULUMI_BACKEND_URL": f"file://{home / 'backend'}",
    }
    return subprocess.run([str(tools / "pulumi"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("stack", ["kind", "production"])
def test_stack_config_validates_with_the_real_cli(e2e_tools: Path, tmp_path: Path, stack: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", f"Pulumi.{stack}.yaml"):
        shutil.copy(REPO / name, project / name)
    (project / "stacks").mkdir()  # the program is never reached: the language host is not built here
    (tmp_path / "backend").mkdir()
    init = _pulumi(e2e_tools, tmp_path, project, "stack", "init", stack, "--non-interactive")
    assert init.returncode == 0, init.stderr
    out = _pulumi(e2e_tools, tmp_path, project, "preview", "--stack", stack, "--non-interactive")
    assert "missing configuration value" not in out.stdout + out.stderr
    assert "validating stack config" not in out.stdout + out.stderr
