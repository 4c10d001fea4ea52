"""nvidia_driver's CUDA repository path, resolved by Ansible from this machine's own facts (Debian 12.11): NVIDIA
names Debian's repositories by major version only (debian12), Ubuntu's by the full one (ubuntu2404)."""

from __future__ import annotations

import pathlib

import pytest
from local_playbook import ROOT, run_playbook


def test_debian_repository_named_by_major_version(tmp_path: pathlib.Path) -> None:
    release = pathlib.Path("/etc/debian_version")
    if not release.exists() or not release.read_text().startswith("12."):
        pytest.skip("needs a Debian 12 point release (this machine's facts are the input)")
    out = tmp_path / "repo.txt"
    result = run_playbook(
        tmp_path,
        "- hosts: localhost\n  gather_subset: ['!all', 'min']\n  tasks:\n"
        f"    - ansible.builtin.include_vars: {ROOT / 'roles' / 'nvidia_driver' / 'defaults' / 'main.yml'}\n"
        "    - ansible.builtin.copy:\n"
        "        content: '{{ nvidia_driver_cuda_repo_keyring_url }}'\n"
        f"        dest: {out}\n        mode: '0644'\n",
        {},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.read_text() == (
        "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/cuda-archive-keyring.gpg"
    )
