"""The stack on the harness: `python -m stacks.automation` (the runner users get) with the tools built
from e2e/tools, a per-run PULUMI_HOME and file backend, and the plugins installed there at the versions
the Python SDKs request (pulumi-random is the harness's SIMULATED stand-in, e2e/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
STACK = "e2e"


@dataclass
class Stack:
    """One stack of the project in its own folder: Pulumi.yaml (the repo's) and Pulumi.e2e.yaml."""

    dir: Path
    tools: Path
    kubeconfig: Path
    # Pulumi saves the whole state after every step; the kind platform's is ~11 MB (CRD schemas), so with
    # checkpoints on the first `up` takes ~30 min on 2 loaded cores, 3 min without (README, e2e figures).
    # Off except where a proof needs them: an interrupted `up` (proof 6) must find its steps in the state.
    checkpoints: bool = False
    # Spec fields of the stack besides its teams (kubeforge:spec), e.g. a release or components switched off.
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def project(self) -> Path:
        return self.dir / "project"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PULUMI_HOME": str(self.dir / "home"),
            "PULUMI_BACKEND_URL": f"file://{self.dir / 'backend'}",
            "PULUMI_CONFIG_PASSPHRASE": "kubeforge-e2e",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # Only the plugins installed in PULUMI_HOME at the SDKs' versions, not the ones beside pulumi.
            "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
            "PULUMI_SKIP_CHECKPOINTS": "false" if self.checkpoints else "true",
            "PYTHONPATH": str(ROOT),
        }

    def setup(self, teams: list[str]) -> None:
        (self.dir / "backend").mkdir(parents=True, exist_ok=True)
        (self.dir / "home").mkdir(exist_ok=True)
        (self.project / "stacks").mkdir(parents=True, exist_ok=True)  # Pulumi.yaml's main; the runner serves it
        shutil.copy(ROOT / "Pulumi.yaml", self.project / "Pulumi.yaml")
        self.set_teams(teams)

    def set_teams(self, teams: list[str]) -> None:
        """The kind profile on this control plane, with these teams (owned by the kind profile's user)."""
        config: dict[str, Any] = {
            "kubeforge:profile": "kind",
            "kubeforge:context": "e2e",
            "kubeforge:kubeconfig": str(self.kubeconfig),
            "kubeforge:spec": {**self.spec, "teams": [spec_team(t) for t in teams]},
        }
        path = self.project / f"Pulumi.{STACK}.yaml"
        old = yaml.safe_load(path.read_text()) if path.exists() else {}
        path.write_text(yaml.safe_dump({**(old or {}), "config": config}, sort_keys=False))

    def runner(self) -> list[str]:
        """The Automation API runner at this stack's project, tools and backend; an action and flags follow."""
        return [
            *(sys.executable, "-m", "stacks.automation", "--work-dir", str(self.project)),
            *("--pulumi-bin", str(self.tools), "--plugins", str(self.tools)),
            *("--backend", f"file://{self.dir / 'backend'}"),
        ]

    def runner_args(self, action: str, *flags: str) -> list[str]:
        return [*self.runner(), action, "--stack", STACK, *flags]

    def run(self, action: str, *flags: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        """The runner, as a user runs it; output kept in <dir>/<action>-<n>.log for a failing test's message."""
        proc, log = self.start(action, *flags)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # The CLI and its plugins are the runner's children: none may outlive a timed-out test.
            self.interrupt(proc, grace=30)
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, log.read_text(), "")

    def start(self, action: str, *flags: str) -> tuple[subprocess.Popen[str], Path]:
        """The runner in its own process group (for an interrupt test)."""
        log = self._log(action)
        out = log.open("w")
        proc = subprocess.Popen(
            self.runner_args(action, *flags),
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        out.close()
        return proc, log

    @staticmethod
    def interrupt(proc: subprocess.Popen[str], grace: float) -> None:
        """Ctrl-C (SIGINT to the group, as a terminal does), then SIGKILL after `grace` seconds."""
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        # The CLI and its plugins are in the group too: none may outlive the test.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)

    def _log(self, action: str) -> Path:
        n = len(list(self.dir.glob(f"{action}-*.log")))
        return self.dir / f"{action}-{n}.log"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The pulumi CLI itself, for what the runner does not do (stack export, outputs)."""
        return subprocess.run(
            [str(self.tools / "pulumi"), *args, "--stack", STACK, "--non-interactive"],
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def export(self) -> dict[str, Any]:
        out = self.cli("stack", "export")
        assert out.returncode == 0, out.stderr
        return dict(json.loads(out.stdout))


def spec_team(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "owners": ["user@example.com"],
        "quota": {"cpu": "4", "memory": "8Gi", "gpu": 0, "storage": "50Gi", "pvcs": 10},
    }
