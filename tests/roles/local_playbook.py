"""Run role tasks with ansible-playbook on this machine, against stand-in commands where a host's tool is missing."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def stand_in(folder: pathlib.Path, name: str, script: str) -> None:
    """An executable `name` in `folder` running the shell `script` (put the folder on the playbook's PATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


def run_playbook(
    tmp_path: pathlib.Path,
    playbook: str,
    extra: dict[str, object],
    *,
    inventory: str = "localhost,",
    path: tuple[pathlib.Path, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """ansible-playbook over a local connection, the project's roles on its roles path, no colour, HOME in tmp_path."""
    play = tmp_path / "play.yml"
    play.write_text(playbook)
    ansible = shutil.which("ansible-playbook") or str(pathlib.Path(sys.executable).parent / "ansible-playbook")
    return subprocess.run(
        [ansible, "-i", inventory, "-c", "local", str(play), "-e", json.dumps(extra)],
        capture_output=True,
        text=True,
        env={
            "PATH": ":".join([*map(str, path), "/usr/bin", "/bin"]),
            "ANSIBLE_NOCOLOR": "1",
            "HOME": str(tmp_path),
            "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        },
        check=False,
    )
