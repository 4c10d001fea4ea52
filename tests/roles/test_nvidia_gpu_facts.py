"""The nvidia_driver facts parser on outputs captured from a real H200 (driver 580.159.04, CUDA 13.0)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys


def test_proc_version_open_module(facts_module, gpu_fixtures):
    parsed = facts_module.parse_proc_version((gpu_fixtures / "proc-driver-nvidia-version.txt").read_text())
    assert parsed == {"driver_version": "580.159.04", "kernel_module": "open"}


def test_proc_version_without_driver_line(facts_module):
    assert facts_module.parse_proc_version("GCC version:  gcc version 15.3.0 (GCC)\n") == {}


def test_smi_xml_driver_and_cuda(facts_module, gpu_fixtures):
    smi = facts_module.parse_smi_xml((gpu_fixtures / "nvidia-smi-q.xml").read_text())
    assert smi["driver_version"] == "580.159.04"
    assert smi["cuda_version"] == "13.0"
    assert smi["attached_gpus"] == len(smi["gpus"]) == 1


def test_smi_xml_agrees_with_query_gpu_csv(facts_module, gpu_fixtures):
    # Two independent nvidia-smi outputs of the same machine must give the same per-GPU facts.
    gpu = facts_module.parse_smi_xml((gpu_fixtures / "nvidia-smi-q.xml").read_text())["gpus"][0]
    rows = list(csv.DictReader((gpu_fixtures / "query-gpu.csv").read_text().splitlines(), skipinitialspace=True))
    row = rows[0]
    assert gpu["name"] == row["name"]
    assert gpu["uuid"] == row["uuid"]
    assert gpu["pci_bus_id"] == row["pci.bus_id"]
    assert gpu["vbios_version"] == row["vbios_version"]
    assert f"{gpu['memory_total_mib']} MiB" == row["memory.total [MiB]"]
    assert gpu["mig_mode_current"] == row["mig.mode.current"]
    assert gpu["persistence_mode"] is (row["persistence_mode"] == "Enabled")


def test_smi_xml_agrees_with_nvidia_smi_L(facts_module, gpu_fixtures):
    gpu = facts_module.parse_smi_xml((gpu_fixtures / "nvidia-smi-q.xml").read_text())["gpus"][0]
    assert (gpu_fixtures / "nvidia-smi-L.txt").read_text().strip() == f"GPU 0: {gpu['name']} (UUID: {gpu['uuid']})"


def test_mig_capable_matches_mig_profiles(facts_module, gpu_fixtures):
    # The card lists MIG GPU-instance profiles (nvidia-smi mig -lgip), so it is MIG capable.
    gpu = facts_module.parse_smi_xml((gpu_fixtures / "nvidia-smi-q.xml").read_text())["gpus"][0]
    assert "MIG 7g.141gb" in (gpu_fixtures / "nvidia-smi-mig-lgip.txt").read_text()
    assert gpu["mig_capable"] is True


def test_mig_not_capable_when_na(facts_module, gpu_fixtures):
    # Non-MIG GPUs report N/A for current_mig; derive that variant from the real XML.
    xml = (
        (gpu_fixtures / "nvidia-smi-q.xml")
        .read_text()
        .replace("<current_mig>Disabled</current_mig>", "<current_mig>N/A</current_mig>")
    )
    assert facts_module.parse_smi_xml(xml)["gpus"][0]["mig_capable"] is False


def test_build_facts_and_labels(facts_module, gpu_fixtures):
    facts = facts_module.build_facts(
        [{"address": "0000:00:06.0", "vendor": "0x10de", "device": "0x2335", "class": "0x030200"}],
        (gpu_fixtures / "proc-driver-nvidia-version.txt").read_text(),
        (gpu_fixtures / "nvidia-smi-q.xml").read_text(),
    )
    assert facts["present"] and facts["driver_loaded"]
    assert (facts["model"], facts["count"], facts["memory_total_mib"]) == ("NVIDIA H200", 1, 143771)
    assert (facts["driver_branch"], facts["cuda_version"], facts["mig_capable"]) == ("580", "13.0", True)
    assert facts["node_labels"] == {
        "nvidia.com/gpu.present": "true",
        "nvidia.com/gpu.count": "1",
        "nvidia.com/mig.capable": "true",
        "nvidia.com/gpu.product": "NVIDIA-H200",
        "nvidia.com/gpu.memory": "143771",
        "nvidia.com/cuda.driver.major": "580",
        "nvidia.com/cuda.driver.minor": "159",
        "nvidia.com/cuda.runtime.major": "13",
        "nvidia.com/cuda.runtime.minor": "0",
    }


def test_no_gpu_facts(facts_module):
    facts = facts_module.build_facts([], None, None)
    assert facts["present"] is False
    assert facts["count"] == 0
    assert facts["driver_version"] is None
    assert facts["node_labels"] == {}


def test_gpu_without_driver_is_present_but_unversioned(facts_module):
    facts = facts_module.build_facts(
        [{"address": "0000:00:06.0", "vendor": "0x10de", "device": "0x2335", "class": "0x030200"}], None, None
    )
    assert facts["present"] is True
    assert facts["count"] == 1
    assert facts["driver_branch"] is None


def test_scan_pci(facts_module, tmp_path):
    for address, vendor, pci_class in [
        ("0000:00:06.0", "0x10de", "0x030200"),  # the H200 (3D controller)
        ("0000:00:07.0", "0x10de", "0x040300"),  # NVIDIA HD audio function: not a GPU
        ("0000:00:08.0", "0x8086", "0x030000"),  # Intel VGA: not NVIDIA
    ]:
        device = tmp_path / address
        device.mkdir()
        (device / "vendor").write_text(vendor + "\n")
        (device / "class").write_text(pci_class + "\n")
        (device / "device").write_text("0x2335\n")
    assert [d["address"] for d in facts_module.scan_pci(str(tmp_path))] == ["0000:00:06.0"]
    assert facts_module.scan_pci(str(tmp_path / "missing")) == []


def test_module_end_to_end_with_fake_nvidia_smi(facts_module, gpu_fixtures, tmp_path):
    """Runs the module as Ansible does (JSON args on stdin) against a fake nvidia-smi replaying the XML."""
    pytest = __import__("pytest")
    pytest.importorskip("ansible")
    smi = tmp_path / "nvidia-smi"
    smi.write_text(f'#!/bin/sh\n[ "$*" = "-q -x" ] || exit 2\ncat {gpu_fixtures / "nvidia-smi-q.xml"}\n')
    smi.chmod(0o755)
    args = {
        "ANSIBLE_MODULE_ARGS": {
            "nvidia_smi": str(smi),
            "proc_version_path": str(gpu_fixtures / "proc-driver-nvidia-version.txt"),
            "pci_devices_path": str(tmp_path / "no-pci"),
        }
    }
    out = subprocess.run(
        [sys.executable, facts_module.__file__],
        input=json.dumps(args),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    result = json.loads(out.stdout)
    assert result["changed"] is False
    facts = result["ansible_facts"]["nvidia_gpu"]
    assert facts["driver_version"] == "580.159.04"
    assert facts["model"] == "NVIDIA H200"
