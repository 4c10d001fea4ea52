"""The containerd role's versions entry point (read by node_upgrade to decide whether a node's containerd changes),
run by ansible-playbook on localhost against stand-in `containerd` and `apt-cache` commands that print what the
real ones print (recorded below), since this machine runs no containerd of its own."""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from local_playbook import run_playbook, stand_in

# `containerd --version` of the archive build (scripts/role-tools containerd; upstream's release prints its commit
# where this prints go-module-proxy) and of Debian 12's package (containerd_1.6.20~ds1-1+deb12u3_amd64.deb).
ARCHIVE_2_1 = "containerd github.com/containerd/containerd/v2 v2.1.9 go-module-proxy"
DEBIAN_1_6 = "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3"
# `apt-cache policy containerd` on Debian 12 (its first lines).
POLICY = "containerd:\n  Installed: 1.6.20~ds1-1+deb12u3\n  Candidate: 1.6.24~ds1-1+deb12u4\n  Version table:\n"


def _command(folder: pathlib.Path, name: str, output: str) -> None:
    stand_in(folder, name, f"cat <<'EOF'\n{output}\nEOF")


def _versions(tmp_path: pathlib.Path, **variables: object) -> dict[str, str]:
    out = tmp_path / "facts.json"
    result = run_playbook(
        tmp_path,
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.include_role:\n        name: containerd\n        tasks_from: versions.yml\n"
        "    - ansible.builtin.copy:\n"
        '        content: \'{{ {"running": containerd_running_version, "target": containerd_target_version} | to_json }}\'\n'
        f"        dest: {out}\n        mode: '0644'\n",
        variables,
        path=(tmp_path / "path",),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    facts: dict[str, str] = json.loads(out.read_text())
    return facts


def test_archive_node_behind_the_pin(tmp_path):
    _command(tmp_path / "bin", "containerd", ARCHIVE_2_1)
    facts = _versions(tmp_path, containerd_bin_dir=str(tmp_path / "bin"), containerd_archive_version="2.2.1")
    assert facts == {"running": "2.1.9", "target": "2.2.1"}


def test_archive_node_at_the_pin(tmp_path):
    _command(tmp_path / "bin", "containerd", ARCHIVE_2_1)
    facts = _versions(tmp_path, containerd_bin_dir=str(tmp_path / "bin"), containerd_archive_version="2.1.9")
    assert facts["running"] == facts["target"] == "2.1.9"


def test_package_node_moving_to_the_archive(tmp_path):
    """A 1.x package host under the archive method: nothing in the bin dir yet, the package's binary on PATH."""
    _command(tmp_path / "path", "containerd", DEBIAN_1_6)
    facts = _versions(tmp_path, containerd_bin_dir=str(tmp_path / "empty"))
    assert facts == {"running": "1.6.20", "target": "2.2.1"}  # the role's default pin


@pytest.mark.parametrize(
    ("pinned", "target"),
    [("1.6.20~ds1-1+deb12u3", "1.6.20"), ("", "1.6.24")],
    ids=["pinned-package", "candidate"],
)
def test_package_method_target(tmp_path, pinned, target):
    _command(tmp_path / "path", "containerd", DEBIAN_1_6)
    _command(tmp_path / "path", "apt-cache", POLICY)
    facts = _versions(tmp_path, containerd_install_method="package", containerd_version=pinned)
    assert facts == {"running": "1.6.20", "target": target}


def test_no_containerd_at_all(tmp_path):
    if shutil.which("containerd", path="/usr/bin:/bin"):
        pytest.skip("this machine has a containerd of its own on the test's PATH")
    facts = _versions(tmp_path, containerd_bin_dir=str(tmp_path / "empty"))
    assert facts == {"running": "", "target": "2.2.1"}
