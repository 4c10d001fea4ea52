"""The node_upgrade role's version rule (playbooks/upgrade-nodes.yml), run by ansible-playbook on localhost: one minor at a time, never down."""

from __future__ import annotations

import pathlib
import subprocess

import pytest
from local_playbook import run_playbook

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "roles" / "node_upgrade" / "tasks" / "version_check.yml"


def _run(tmp_path: pathlib.Path, current: str, target: str) -> subprocess.CompletedProcess[str]:
    return run_playbook(
        tmp_path,
        f"- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.include_tasks: {CHECK}\n",
        {"__node_upgrade_current_version": current, "node_upgrade_kubernetes_version": target},
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
    result = run_playbook(
        tmp_path,
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.import_role:\n        name: node_upgrade\n        tasks_from: version_check\n",
        {"__node_upgrade_current_version": "v1.35.1"},
        inventory=str(inventory),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "node_upgrade_kubernetes_version 1.37.0 from the cluster's 1.35.1" in " ".join(result.stdout.split())
