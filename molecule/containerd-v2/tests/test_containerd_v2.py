"""Testinfra checks of the `containerd-v2` scenario: containerd 2.x from a release-layout archive, config v3."""

import os
import pathlib
import tomllib

import pytest
import yaml

RUNTIME = "io.containerd.cri.v1.runtime"
IMAGES = "io.containerd.cri.v1.images"


def _role_vars():
    path = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "files" / "role-vars.yml"
    return yaml.safe_load(path.read_text())


def _dump(host):
    return tomllib.loads(host.check_output("containerd config dump"))


def test_binaries_from_the_archive_not_the_package(host):
    assert "v2.2.1" in host.check_output("/usr/local/bin/containerd --version")
    assert "runc version 1.3.4" in host.check_output("/usr/local/sbin/runc --version")
    for name in ("containerd-shim-runc-v2", "ctr"):
        assert host.file(f"/usr/local/bin/{name}").mode == 0o755
    assert not host.package("containerd").is_installed
    assert not host.file("/usr/bin/containerd").exists


def test_download_kept_and_verified(host):
    archive = host.file("/var/cache/kubeforge/containerd/containerd-2.2.1-linux-amd64.tar.gz")
    assert archive.exists
    # The bytes whose sha256 the role was given (the served archive's): get_url refuses anything else.
    assert archive.sha256sum == _role_vars()["containerd_archive_sha256"]


def test_service_runs_the_archive_binary(host):
    service = host.service("containerd")
    assert service.is_running
    assert service.is_enabled
    unit = host.file("/etc/systemd/system/containerd.service").content_string
    assert "ExecStart=/usr/local/bin/containerd --config /etc/containerd/config.toml" in unit
    assert "Delegate=yes" in unit
    assert host.check_output("systemctl show -p MainPID --value containerd") != "0"


def test_daemon_answers_with_version_2(host):
    out = host.check_output("ctr version")
    assert "v2.2.1" in out.split("Server:")[1]


@pytest.mark.parametrize(
    "plugin",
    [("io.containerd.cri.v1", "runtime"), ("io.containerd.cri.v1", "images"), ("io.containerd.grpc.v1", "cri")],
)
def test_cri_plugins_loaded(host, plugin):
    rows = [line.split() for line in host.check_output("ctr plugins ls").splitlines()]
    match = [row for row in rows if tuple(row[:2]) == plugin]
    # A config the CRI plugins reject shows up here as "error" while the daemon keeps running.
    assert match and match[0][-1] == "ok", rows


def test_config_is_version_3(host):
    config = host.file("/etc/containerd/config.toml")
    assert config.mode == 0o644
    assert "version = 3" in config.content_string.splitlines()
    assert _dump(host)["version"] == 3


def test_runtime_read_back(host):
    runtime = _dump(host)["plugins"][RUNTIME]
    runc = runtime["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2"
    assert runc["options"]["SystemdCgroup"] is True
    assert runtime["enable_cdi"] is True
    assert runtime["cdi_spec_dirs"] == ["/etc/cdi", "/var/run/cdi"]
    nvidia = runtime["containerd"]["runtimes"]["nvidia"]
    assert nvidia["options"]["BinaryName"] == "/usr/bin/nvidia-container-runtime"
    assert runtime["containerd"]["default_runtime_name"] == "runc"


def test_images_read_back(host):
    images = _dump(host)["plugins"][IMAGES]
    assert images["pinned_images"]["sandbox"] == "registry.k8s.io/pause:3.10.1"
    assert images["registry"]["config_path"] == "/etc/containerd/certs.d"
    assert host.file("/etc/containerd/certs.d/registry.k8s.io/hosts.toml").exists


def test_a_container_runs(host):
    # Shim, runc and the overlay snapshotter end to end: a one-binary image imported and started.
    host.check_output("ctr -n kubeforge-test images import --all-platforms /root/hello.tar")
    name = host.check_output("ctr -n kubeforge-test images ls -q").splitlines()[0]
    out = host.check_output(f"ctr -n kubeforge-test run --rm {name} hello-1")
    assert "runc version 1.3.4" in out
