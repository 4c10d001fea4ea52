"""Testinfra checks of the `hosts` scenario: node_prep + containerd + NVIDIA runtime config, no GPU."""

import tomllib

import pytest


def _dump(host):
    return tomllib.loads(host.check_output("containerd config dump"))


CRI = "io.containerd.grpc.v1.cri"


@pytest.mark.parametrize("package", ["conntrack", "socat", "iptables", "containerd", "systemd-timesyncd"])
def test_packages_installed(host, package):
    assert host.package(package).is_installed


def test_containerd_running_and_enabled(host):
    service = host.service("containerd")
    assert service.is_running
    assert service.is_enabled


def test_ctr_talks_to_the_daemon(host):
    out = host.check_output("ctr version")
    # The Server section only appears when the daemon answers on its socket.
    assert "Server:" in out
    assert "1.6." in out.split("Server:")[1]


def test_cri_plugin_loaded_with_managed_config(host):
    plugins = host.check_output("ctr plugins ls")
    rows = [line.split() for line in plugins.splitlines()]
    cri = [row for row in rows if row[:2] == ["io.containerd.grpc.v1", "cri"]]
    # A config the CRI plugin rejects shows up here as "error" while the daemon keeps running.
    assert cri and cri[0][-1] == "ok", plugins


def test_config_file_is_managed(host):
    config = host.file("/etc/containerd/config.toml")
    assert config.user == "root"
    assert config.mode == 0o644
    assert "Ansible managed" in config.content_string


def test_systemd_cgroup_read_back(host):
    runc = _dump(host)["plugins"][CRI]["containerd"]["runtimes"]["runc"]
    assert runc["runtime_type"] == "io.containerd.runc.v2"
    assert runc["options"]["SystemdCgroup"] is True


def test_nvidia_runtime_is_what_nvidia_ctk_writes(host):
    cri = _dump(host)["plugins"][CRI]
    nvidia = cri["containerd"]["runtimes"]["nvidia"]
    assert nvidia["runtime_type"] == "io.containerd.runc.v2"
    assert nvidia["options"]["BinaryName"] == "/usr/bin/nvidia-container-runtime"
    assert nvidia["options"]["SystemdCgroup"] is True
    assert nvidia["privileged_without_host_devices"] is False
    # Not the default runtime: pods opt in with a RuntimeClass whose handler is "nvidia".
    assert cri["containerd"]["default_runtime_name"] == "runc"


def test_cdi_left_out_on_containerd_16(host):
    # containerd 1.6 has no CDI support (1.7+); the role must not write a key it silently ignores.
    assert "enable_cdi" not in host.file("/etc/containerd/config.toml").content_string


def test_registry_mirror(host):
    cri = _dump(host)["plugins"][CRI]
    assert cri["registry"]["config_path"] == "/etc/containerd/certs.d"
    hosts_toml = tomllib.loads(host.file("/etc/containerd/certs.d/registry.k8s.io/hosts.toml").content_string)
    assert hosts_toml["server"] == "https://registry.k8s.io"
    assert list(hosts_toml["host"]) == ["https://mirror.kubeforge.test/v2/registry.k8s.io"]
    assert hosts_toml["host"]["https://mirror.kubeforge.test/v2/registry.k8s.io"]["capabilities"] == ["pull", "resolve"]


@pytest.mark.parametrize(
    "name,value",
    [
        ("net.ipv4.ip_forward", 1),
        ("net.bridge.bridge-nf-call-iptables", 1),
        ("net.bridge.bridge-nf-call-ip6tables", 1),
    ],
)
def test_sysctls_applied_and_persisted(host, name, value):
    assert host.sysctl(name) == value
    assert f"{name}={value}" in host.file("/etc/sysctl.d/90-kubeforge.conf").content_string


def test_inotify_persisted(host):
    content = host.file("/etc/sysctl.d/90-kubeforge.conf").content_string
    assert "fs.inotify.max_user_watches=" in content
    assert "fs.inotify.max_user_instances=" in content


def test_swap_commented_out_of_fstab(host):
    lines = host.file("/etc/fstab").content_string.splitlines()
    assert "# /swapfile none swap sw 0 0" in lines
    assert "/swapfile none swap sw 0 0" not in lines
    assert host.check_output("swapon --show --noheadings") == ""


def test_kernel_modules_detected_not_forced(host):
    loadable = host.file("/proc/modules").exists
    # Built-in modules (no /proc/modules) need no modules-load.d entry; loadable ones must get one.
    assert host.file("/etc/modules-load.d/kubeforge.conf").exists == loadable
    assert "overlay" in host.file("/proc/filesystems").content_string
    assert host.file("/proc/sys/net/bridge/bridge-nf-call-iptables").exists


def test_time_sync_enabled(host):
    assert host.service("systemd-timesyncd").is_enabled


def test_no_gpu_path_installed_nothing(host):
    assert not host.file("/etc/apt/sources.list.d/cuda.sources").exists
    assert not host.package("nvidia-open-580").is_installed
    assert not host.file("/etc/cdi/nvidia.yaml").exists
