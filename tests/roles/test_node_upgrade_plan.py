"""node_upgrade's per-node plan (tasks/plan.yml): whether a node is drained for a kubelet, NVIDIA driver branch or
containerd change. Run by ansible-playbook on localhost against a stand-in `nvidia-smi` that prints the real H200's
`nvidia-smi -q -x` (driver 580, ../shared/fixtures/gpu) and a stand-in `kubectl` that prints a kubelet version:
the branch change inside upgrade-nodes.yml has not run on a GPU host (none was lent), its decision runs here."""

from __future__ import annotations

import json
import pathlib

import pytest
from local_playbook import run_playbook, stand_in


def _plan(
    tmp_path: pathlib.Path, gpu_fixtures: pathlib.Path, *, gpu_node: bool, kubelet: str, **variables: object
) -> dict[str, object]:
    bin_dir = tmp_path / "path"
    stand_in(bin_dir, "nvidia-smi", f'[ "$*" = "-q -x" ] && exec cat {gpu_fixtures / "nvidia-smi-q.xml"}\nexit 1')
    stand_in(bin_dir, "kubectl", f"printf %s {kubelet}")
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        "[kube_control_plane]\nlocalhost ansible_connection=local\n" + ("[gpu_nodes]\nlocalhost\n" if gpu_node else "")
    )
    out = tmp_path / "plan.json"
    defaults = {"node_upgrade_kubernetes_version": "1.35.4", "node_upgrade_containerd": False}
    result = run_playbook(
        tmp_path,
        "- hosts: localhost\n  gather_subset: ['!all', 'min']\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: node_upgrade\n        tasks_from: plan.yml\n"
        "    - ansible.builtin.copy:\n"
        '        content: \'{{ {"loaded": __node_upgrade_loaded_branch,'
        ' "driver_change": __node_upgrade_driver_change | bool,'
        ' "needed": __node_upgrade_needed | bool} | to_json }}\'\n'
        f"        dest: {out}\n        mode: '0644'\n",
        defaults | variables,
        inventory=str(inventory),
        path=(bin_dir,),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    plan: dict[str, object] = json.loads(out.read_text())
    return plan


def test_gpu_node_moving_to_another_branch_is_drained(tmp_path, gpu_fixtures):
    """The kubelet is already at the target: only the driver branch (580 loaded, 590 pinned) makes it drain."""
    plan = _plan(tmp_path, gpu_fixtures, gpu_node=True, kubelet="v1.35.4", node_upgrade_nvidia_driver_branch="590")
    assert plan == {"loaded": "580", "driver_change": True, "needed": True}


def test_gpu_node_on_the_pinned_branch_is_left_alone(tmp_path, gpu_fixtures):
    plan = _plan(tmp_path, gpu_fixtures, gpu_node=True, kubelet="v1.35.4", node_upgrade_nvidia_driver_branch="580")
    assert plan == {"loaded": "580", "driver_change": False, "needed": False}


def test_no_branch_pinned_means_no_driver_change(tmp_path, gpu_fixtures):
    plan = _plan(tmp_path, gpu_fixtures, gpu_node=True, kubelet="v1.35.4", node_upgrade_nvidia_driver_branch="")
    assert plan["driver_change"] is False
    assert plan["needed"] is False


def test_node_outside_gpu_nodes_reads_no_gpu(tmp_path, gpu_fixtures):
    """A pinned branch applies to gpu_nodes only: another node is not drained for it (nvidia-smi is not read)."""
    plan = _plan(tmp_path, gpu_fixtures, gpu_node=False, kubelet="v1.35.4", node_upgrade_nvidia_driver_branch="590")
    assert plan == {"loaded": "", "driver_change": False, "needed": False}


@pytest.mark.parametrize("branch", ["580", "590"])
def test_kubelet_behind_is_drained_whatever_the_branch(tmp_path, gpu_fixtures, branch):
    plan = _plan(tmp_path, gpu_fixtures, gpu_node=True, kubelet="v1.34.4", node_upgrade_nvidia_driver_branch=branch)
    assert plan["needed"] is True
    assert plan["driver_change"] is (branch != "580")
