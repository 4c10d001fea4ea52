"""The control plane never outlives the test run that started it (issue 12: nothing left behind)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STARTER = """
import sys, time
from pathlib import Path
from e2e.harness.cluster import running
with running(Path(sys.argv[1])):
    print("up", flush=True)
    time.sleep(600)
"""


def test_killed_owner_stops_the_control_plane(e2e_tools: Path, tmp_path: Path) -> None:
    # A test run killed with SIGKILL never reaches its fixture's teardown: the supervisor notices.
    proc = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(tmp_path / "cp")], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert "up" in (line.strip() for line in iter(proc.stdout.readline, "")), "the control plane did not start"
    supervisor = int((tmp_path / "cp" / "supervisor.pid").read_text())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for _ in range(60):
        try:
            os.kill(supervisor, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"supervisor {supervisor} still running 30 s after its owner was killed")
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path / "cp")], capture_output=True, text=True).stdout
    assert not leftover.strip(), leftover
