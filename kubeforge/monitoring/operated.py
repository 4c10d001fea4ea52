"""Prometheus and Alertmanager objects sized per profile: replicas, Prometheus's retention and memory,
and the Secrets Alertmanager mounts for its receivers. (The render's sizing step sees only pods.)"""

from __future__ import annotations

from kubeforge.k8s import KObj
from kubeforge.spec.model import PlatformSpec
from kubeforge.spec.quantity import parse_quantity


def _replicas(spec: PlatformSpec) -> int | None:
    comp = spec.components.get("monitoring")
    if comp is not None and comp.replicas is not None:
        return comp.replicas
    return spec.sizing.replicas


def size_operated(objects: list[KObj], spec: PlatformSpec, alertmanager_secrets: list[str]) -> None:
    mon = spec.monitoring
    replicas = _replicas(spec)
    limit = spec.sizing.default_limits.memory or "2Gi"
    if parse_quantity(limit) < 2 * parse_quantity(mon.prometheus_memory):
        limit = f"{int(2 * parse_quantity(mon.prometheus_memory)) // 2**20}Mi"  # room for compaction
    for o in objects:
        if not str(o.get("apiVersion", "")).startswith("monitoring.coreos.com/"):
            continue
        s = o.setdefault("spec", {})
        if o.get("kind") == "Prometheus":
            s["retention"] = mon.retention
            s["resources"] = {
                "requests": {"cpu": spec.sizing.default_requests.cpu or "50m", "memory": mon.prometheus_memory},
                "limits": {"memory": limit},
            }
        elif o.get("kind") == "Alertmanager":
            s["secrets"] = alertmanager_secrets
        else:
            continue
        if replicas is not None:
            s["replicas"] = replicas
