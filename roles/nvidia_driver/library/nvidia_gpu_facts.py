#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeforge contributors. Apache-2.0.
"""Ansible module: NVIDIA GPU facts from PCI, /proc/driver/nvidia/version and nvidia-smi -q -x.

The parse functions are pure so that tests/roles/ can run them on real captured outputs.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nvidia_gpu_facts
short_description: Gather NVIDIA GPU and driver facts
description:
  - Detects NVIDIA GPUs on the PCI bus, reads the loaded kernel driver from
    C(/proc/driver/nvidia/version) and the GPUs from C(nvidia-smi -q -x).
  - Read only; supports check mode.
options:
  nvidia_smi:
    description: nvidia-smi command (name on PATH or absolute path).
    type: str
    default: nvidia-smi
  proc_version_path:
    description: Path of the kernel driver's version file.
    type: path
    default: /proc/driver/nvidia/version
  pci_devices_path:
    description: Directory of PCI devices (sysfs).
    type: path
    default: /sys/bus/pci/devices
author: kubeforge
"""

RETURN = r"""
ansible_facts:
  description: C(nvidia_gpu) with present, count, model, memory_total_mib, driver_version,
    driver_branch, kernel_module, cuda_version, mig_capable, gpus, pci_devices and node_labels.
  returned: always
  type: dict
"""

import os
import re
import xml.etree.ElementTree as ET

NVIDIA_VENDOR = "0x10de"
# PCI display controllers: 0x0300 VGA (e.g. workstation cards), 0x0302 3D controller (data-centre GPUs).
GPU_CLASSES = ("0x0300", "0x0302")

_PROC_RE = re.compile(
    r"NVRM version:\s+NVIDIA UNIX\s+(?P<open>Open\s+)?Kernel Module(?:\s+for\s+\S+)?\s+"
    r"(?:\S+\s+)??(?P<version>\d+\.\d+(?:\.\d+)?)\s"
)


def parse_proc_version(text):
    """Parse /proc/driver/nvidia/version; return {} when no driver line is found."""
    for line in text.splitlines():
        if not line.startswith("NVRM version:"):
            continue
        match = _PROC_RE.search(line + " ")
        if match is None:
            # Proprietary module lines read "NVIDIA UNIX x86_64 Kernel Module  535.104.05  <date>".
            match = re.search(r"Kernel Module\s+(?P<version>\d+\.\d+(?:\.\d+)?)\s", line + " ")
            if match is None:
                continue
            return {"driver_version": match.group("version"), "kernel_module": "proprietary"}
        return {
            "driver_version": match.group("version"),
            "kernel_module": "open" if match.group("open") else "proprietary",
        }
    return {}


def _text(node, path, default=None):
    found = node.find(path)
    if found is None or found.text is None:
        return default
    value = found.text.strip()
    return default if value in ("", "N/A") else value


def _mib(value):
    if value is None:
        return None
    match = re.match(r"(\d+)\s*MiB", value)
    return int(match.group(1)) if match else None


def parse_smi_xml(text):
    """Parse `nvidia-smi -q -x` into driver, CUDA and per-GPU facts."""
    root = ET.fromstring(text)
    gpus = []
    for index, gpu in enumerate(root.findall("gpu")):
        current_mig = _text(gpu, "mig_mode/current_mig")
        gpus.append(
            {
                "index": index,
                "name": _text(gpu, "product_name"),
                "architecture": _text(gpu, "product_architecture"),
                "uuid": _text(gpu, "uuid"),
                "pci_bus_id": _text(gpu, "pci/pci_bus_id") or gpu.get("id"),
                "pci_device_id": _text(gpu, "pci/pci_device_id"),
                "memory_total_mib": _mib(_text(gpu, "fb_memory_usage/total")),
                "persistence_mode": _text(gpu, "persistence_mode") == "Enabled",
                # GPUs without MIG report N/A here; MIG-capable ones report Enabled or Disabled.
                "mig_capable": current_mig in ("Enabled", "Disabled"),
                "mig_mode_current": current_mig,
                "mig_mode_pending": _text(gpu, "mig_mode/pending_mig"),
                "vbios_version": _text(gpu, "vbios_version"),
            }
        )
    return {
        "driver_version": _text(root, "driver_version"),
        "cuda_version": _text(root, "cuda_version"),
        "attached_gpus": int(_text(root, "attached_gpus", "0")),
        "gpus": gpus,
    }


def scan_pci(devices_path):
    """List NVIDIA GPUs on the PCI bus from sysfs (works before any driver is installed)."""
    found = []
    if not os.path.isdir(devices_path):
        return found
    for address in sorted(os.listdir(devices_path)):
        base = os.path.join(devices_path, address)
        try:
            with open(os.path.join(base, "vendor")) as handle:
                vendor = handle.read().strip().lower()
            with open(os.path.join(base, "class")) as handle:
                pci_class = handle.read().strip().lower()
            with open(os.path.join(base, "device")) as handle:
                device = handle.read().strip().lower()
        except OSError:
            continue
        if vendor == NVIDIA_VENDOR and pci_class[:6] in GPU_CLASSES:
            found.append({"address": address, "vendor": vendor, "device": device, "class": pci_class})
    return found


def driver_branch(version):
    """The driver branch (major version) of a version string, e.g. '580' for '580.159.04'."""
    return version.split(".", 1)[0] if version else None


def node_labels(facts):
    """Kubernetes node labels (GPU feature discovery names) from the facts; {} without GPUs."""
    if not facts.get("count"):
        return {}
    labels = {
        "nvidia.com/gpu.present": "true",
        "nvidia.com/gpu.count": str(facts["count"]),
        "nvidia.com/mig.capable": str(bool(facts.get("mig_capable"))).lower(),
    }
    if facts.get("model"):
        labels["nvidia.com/gpu.product"] = re.sub(r"[^A-Za-z0-9_.-]", "-", facts["model"])
    if facts.get("memory_total_mib"):
        labels["nvidia.com/gpu.memory"] = str(facts["memory_total_mib"])
    if facts.get("driver_version"):
        major, _, rest = facts["driver_version"].partition(".")
        labels["nvidia.com/cuda.driver.major"] = major
        labels["nvidia.com/cuda.driver.minor"] = rest.partition(".")[0]
    if facts.get("cuda_version"):
        major, _, minor = facts["cuda_version"].partition(".")
        labels["nvidia.com/cuda.runtime.major"] = major
        labels["nvidia.com/cuda.runtime.minor"] = minor or "0"
    return labels


def build_facts(pci_devices, proc_text, smi_xml):
    """Combine the three sources; any of them may be missing (None)."""
    proc = parse_proc_version(proc_text) if proc_text else {}
    smi = parse_smi_xml(smi_xml) if smi_xml else {"gpus": []}
    gpus = smi["gpus"]
    driver_version = proc.get("driver_version") or smi.get("driver_version")
    facts = {
        "present": bool(pci_devices) or bool(gpus),
        "pci_devices": pci_devices,
        "driver_loaded": bool(proc),
        "driver_version": driver_version,
        "driver_branch": driver_branch(driver_version),
        "kernel_module": proc.get("kernel_module"),
        "cuda_version": smi.get("cuda_version"),
        "count": len(gpus) if gpus else len(pci_devices),
        "model": gpus[0]["name"] if gpus else None,
        "memory_total_mib": gpus[0]["memory_total_mib"] if gpus else None,
        "mig_capable": any(gpu["mig_capable"] for gpu in gpus),
        "persistence_mode": bool(gpus) and all(gpu["persistence_mode"] for gpu in gpus),
        "gpus": gpus,
    }
    facts["node_labels"] = node_labels(facts)
    return facts


def main():
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "nvidia_smi": {"type": "str", "default": "nvidia-smi"},
            "proc_version_path": {"type": "path", "default": "/proc/driver/nvidia/version"},
            "pci_devices_path": {"type": "path", "default": "/sys/bus/pci/devices"},
        },
        supports_check_mode=True,
    )
    params = module.params
    proc_text = None
    if os.path.exists(params["proc_version_path"]):
        with open(params["proc_version_path"]) as handle:
            proc_text = handle.read()
    smi_xml = None
    smi_error = None
    smi_path = module.get_bin_path(params["nvidia_smi"]) if "/" not in params["nvidia_smi"] else params["nvidia_smi"]
    if smi_path and os.path.exists(smi_path):
        rc, out, err = module.run_command([smi_path, "-q", "-x"])
        if rc == 0:
            smi_xml = out
        else:
            # A driver whose kernel module is not loaded (e.g. before a reboot) makes nvidia-smi fail.
            smi_error = (err or out).strip()
    facts = build_facts(scan_pci(params["pci_devices_path"]), proc_text, smi_xml)
    facts["nvidia_smi_path"] = smi_path
    facts["nvidia_smi_error"] = smi_error
    module.exit_json(changed=False, ansible_facts={"nvidia_gpu": facts})


if __name__ == "__main__":
    main()
