"""The node_upgrade role's version rule (playbooks/upgrade-nodes.yml), run by ansible-playbook on localhost: one minor at a time, never down."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "roles" / "node_upgrade" / "tasks" / "version_check.yml"


def _run(tmp_path: pathlib.Path, current: str, target: str) -> subprocess.CompletedProcess[str]:
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        f"- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.include_tasks: {CHECK}\n"
    )
    ansible = shutil.which("ansible-playbook") or str(
        pathlib.Path(__import__("sys").executable).parent / "ansible-playbook"
    )
    extra = json.dumps({"__node_upgrade_current_version": current, "node_upgrade_kubernetes_version": target})
    return subprocess.run(
        [ansible, "-i", "localhost,", "-c", "local", str(playbook), "-e", extra],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ANSIBLE_NOCOLOR": "1", "HOME": str(tmp_path)},
        check=False,
    )


@pytest.mark.parametrize(("current", "target"), [("v1.34.2", "1.35.0"), ("v1.34.2", "1.34.5"), ("v1.35.0", "1.35.0")])
def test_next_minor_or_patch_passes(tmp_path, current, target):
    result = _run(tmp_path, current, target)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("current", "target"),
    [("v1.34.2", "1.36.0"), ("v1.35.1", "1.34.9"), ("v1.35.1", "1.35.0"), ("v1.34.2", "1.35"), ("v1.34.2", "")],
    ids=["two-minors", "downgrade-minor", "downgrade-patch", "not-xyz", "unset"],
)
def test_skips_and_downgrades_are_refused(tmp_path, current, target):
    result = _run(tmp_path, current, target)
    assert result.returncode == 2, result.stdout
    assert "at most one minor ahead" in result.stdout


def test_inventory_group_vars_reach_the_role(tmp_path):
    """The settings are role defaults: an inventory's group_vars win over them (vars_files would not)."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "hosts.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    (inventory / "group_vars" / "all.yml").write_text('node_upgrade_kubernetes_version: "1.37.0"\n')
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.import_role:\n        name: node_upgrade\n        tasks_from: version_check\n"
    )
    ansible = shutil.which("ansible-playbook") or str(pathlib.Path(sys.executable).parent / "ansible-playbook")
    result = subprocess.run(
        [ansible, "-i", str(inventory), str(playbook), "-e", '{"__node_upgrade_current_version": "v1.35.1"}'],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "ANSIBLE_NOCOLOR": "1",
            "HOME": str(tmp_path),
            "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        },
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "node_upgrade_kubernetes_version 1.37.0 from the cluster's 1.35.1" in " ".join(result.stdout.split())
