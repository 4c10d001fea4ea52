"""dcgm-exporter's locked metric set against a real H200 (nvidia-smi -q -x, driver 580): every GPU fact the
dashboards and alerts use is a counter the exporter exports, and the card reports a value for it."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from harness import REPO, need_mirror

from kubeforge.gpu.counters import parse_counters
from kubeforge.release.store import load_lock

# The same real outputs tests/roles reads (KUBEFORGE_GPU_FIXTURES, as there).
FIXTURE = Path(os.environ.get("KUBEFORGE_GPU_FIXTURES", REPO.parent / "shared" / "fixtures" / "gpu" / "h200-driver580"))
# DCGM field -> where nvidia-smi -q -x reports the same quantity (NVML is the source of both).
SAME_FACT = {
    "DCGM_FI_DEV_GPU_UTIL": "utilization/gpu_util",
    "DCGM_FI_DEV_MEM_COPY_UTIL": "utilization/memory_util",
    "DCGM_FI_DEV_FB_USED": "fb_memory_usage/used",
    "DCGM_FI_DEV_FB_FREE": "fb_memory_usage/free",
    "DCGM_FI_DEV_FB_RESERVED": "fb_memory_usage/reserved",
    "DCGM_FI_DEV_GPU_TEMP": "temperature/gpu_temp",
    "DCGM_FI_DEV_POWER_USAGE": "gpu_power_readings/average_power_draw",
    "DCGM_FI_DEV_SM_CLOCK": "clocks/sm_clock",
    "DCGM_FI_DEV_MEM_CLOCK": "clocks/mem_clock",
}


def _counters_text() -> str:
    lock = load_lock("26.03")
    src = lock.sources["dcgm-exporter"]
    assert "etc/default-counters.csv" in src.files  # locked: a changed file fails the lock's digest check
    return (need_mirror() / src.repo / src.tag / "etc/default-counters.csv").read_text()


def _counters() -> dict[str, str]:
    return {c.name: c.type for c in parse_counters(_counters_text())}


def _gpu() -> ET.Element:
    if not (FIXTURE / "nvidia-smi-q.xml").is_file():
        pytest.fail(f"GPU fixtures missing at {FIXTURE} (set KUBEFORGE_GPU_FIXTURES)")
    gpu = ET.parse(FIXTURE / "nvidia-smi-q.xml").getroot().find("gpu")
    assert gpu is not None
    return gpu


def test_the_metric_set_has_the_gpu_facts_the_platform_watches() -> None:
    counters = _counters()
    assert counters["DCGM_FI_DEV_XID_ERRORS"] == "gauge"  # the last XID: the alert's input
    for field in SAME_FACT:
        assert field in counters, field
    assert counters["DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"] == "counter"
    xid = next(c for c in parse_counters(_counters_text()) if c.name == "DCGM_FI_DEV_XID_ERRORS")
    assert xid.help == "Value of the last XID error encountered."


def test_a_real_h200_reports_a_value_for_each_of_them() -> None:
    gpu = _gpu()
    for field, path in SAME_FACT.items():
        node = gpu.find(path)
        assert node is not None and node.text, f"{field}: nvidia-smi has no {path}"
        number = node.text.split()[0]
        assert number != "N/A", f"{field}: the H200 reports {path} as N/A"
        float(number)


def test_a_typo_in_the_counters_file_is_refused() -> None:
    with pytest.raises(ValueError, match="line 2: expected"):
        parse_counters("# c\nDCGM_FI_DEV_GPU_UTIL; gauge; GPU utilization\n")
