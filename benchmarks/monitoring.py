"""Footprint of monitoring and the GPU layer: requests of the whole platform per profile, and the share of
kube-prometheus (the operator's Prometheus and Alertmanager pods counted), kubeforge's monitors and the GPU
components (one GPU node). Same footprint code as `kubeforge render`'s summary.

    .venv/bin/python benchmarks/monitoring.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ensure_cache

from kubeforge.render import render_platform
from kubeforge.render.footprint import footprint
from kubeforge.secrets.store import SecretStore
from kubeforge.spec.load import load_spec

MONITORING = ("monitoring", "monitors")
GPU = ("nvidia-device-plugin", "dcgm-exporter")
ROWS = (
    ("kind (monitoring off, the default)", "kind", None),
    ("kind + monitoring", "kind", {"components": {"monitoring": {"enabled": True}}}),
    ("production", "production", None),
    ("gpu", "gpu", None),
)
KIND_GOAL_GIB = 4.0


class _Fixed(SecretStore):
    """Generated values do not change requests: a fixed store keeps the benchmark out of the state folder."""

    def kind_password_hash(self, email: str) -> str:
        return "$2b$12$" + "a" * 53

    def generated(self, value_id: str) -> str:
        return "benchmark-" + value_id


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        ensure_cache("26.03", cache)
        print("footprint (requests, Istio sidecars counted; DaemonSets once: one node, one GPU node)")
        for label, profile, extra in ROWS:
            render = render_platform(load_spec(profile, extra=extra), cache=cache, secrets=_Fixed())
            by = render.by_component()
            total = footprint(render.objects).to_json()
            mon = footprint([o for c in MONITORING for o in by.get(c, [])]).to_json()
            gpu = footprint([o for c in GPU for o in by.get(c, [])]).to_json()
            print(
                f"  {label:36s} total {total['cpu_cores']:6.3f} CPU {total['memory_gib']:7.3f} GiB ({total['pods']} pods)"
                f" | monitoring {mon['cpu_cores']:5.3f} CPU {mon['memory_gib']:6.3f} GiB ({mon['pods']} pods)"
                f" | GPU layer {gpu['cpu_cores']:5.3f} CPU {gpu['memory_gib']:6.3f} GiB ({gpu['pods']} pods)"
            )
        print(f"  goal for kind + monitoring: <= {KIND_GOAL_GIB} GiB requested in all")


if __name__ == "__main__":
    main()
