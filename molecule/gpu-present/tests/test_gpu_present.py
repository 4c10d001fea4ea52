"""Testinfra checks of the `gpu-present` scenario: a present driver of the pinned branch is left alone."""


def test_fake_nvidia_smi_replays_the_fixture(host):
    # Guards the scenario itself: the role saw the real H200 output, not an empty stub.
    assert "<product_name>NVIDIA H200</product_name>" in host.check_output("nvidia-smi -q -x")


def test_no_driver_package_or_repository_added(host):
    for package in ("nvidia-open-580", "nvidia-driver-580-server-open", "cuda-drivers-580"):
        assert not host.package(package).is_installed
    assert not host.file("/etc/apt/sources.list.d/cuda.sources").exists
    assert not host.file("/usr/share/keyrings/cuda-archive-keyring.gpg").exists


def test_no_persistence_service_touched(host):
    assert not host.file("/etc/systemd/system/multi-user.target.wants/nvidia-persistenced.service").exists
