"""Total CPU and memory a render requests, Istio sidecars counted: one function for ours and upstream's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from kubeforge.k8s import KObj, labels_of, name_of, pod_spec, pod_template_metadata, sidecar_injected
from kubeforge.names import SIDECAR_ANNOTATIONS
from kubeforge.render.transforms.sizing import container_requests
from kubeforge.security.operated import operated_workloads
from kubeforge.spec.quantity import parse_quantity

# Istio's own defaults, used when the render carries no sidecar injector values.
ISTIO_DEFAULT_SIDECAR = (Decimal("0.1"), parse_quantity("128Mi"))


@dataclass
class Footprint:
    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)
    sidecars: int = 0
    pods: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "cpu_cores": float(round(self.cpu, 3)),
            "memory_gib": float(round(self.memory / Decimal(2**30), 3)),
            "pods": self.pods,
            "sidecars": self.sidecars,
        }


def _injector_default(objects: list[KObj]) -> tuple[Decimal, Decimal]:
    for obj in objects:
        if obj.get("kind") == "ConfigMap" and name_of(obj) == "istio-sidecar-injector":
            values = json.loads((obj.get("data") or {}).get("values", "{}"))
            req = (((values.get("global") or {}).get("proxy") or {}).get("resources") or {}).get("requests") or {}
            if req:
                return parse_quantity(req.get("cpu", "0")), parse_quantity(req.get("memory", "0"))
    return ISTIO_DEFAULT_SIDECAR


def footprint(objects: list[KObj]) -> Footprint:
    ns_labels = {name_of(o): labels_of(o) for o in objects if o.get("kind") == "Namespace"}
    default_cpu, default_mem = _injector_default(objects)
    total = Footprint()
    # Prometheus and Alertmanager pods exist only as custom resources in the render: counted as the operator runs them.
    for obj in [*objects, *operated_workloads(objects)]:
        kind = obj.get("kind")
        spec = pod_spec(obj)
        if spec is None or kind in ("Job", "CronJob", "Pod"):
            continue  # one-off and scheduled pods are not steady-state footprint
        replicas = 1 if kind == "DaemonSet" else int((obj.get("spec") or {}).get("replicas", 1) or 0)
        cpu = mem = Decimal(0)
        for c in spec.get("containers") or []:
            c_cpu, c_mem = container_requests(c.get("resources") or {})
            cpu, mem = cpu + c_cpu, mem + c_mem
        for c in spec.get("initContainers") or []:  # init containers run first: the pod requests the max
            c_cpu, c_mem = container_requests(c.get("resources") or {})
            cpu, mem = max(cpu, c_cpu), max(mem, c_mem)
        if sidecar_injected(obj, ns_labels):
            annotations = pod_template_metadata(obj).get("annotations") or {}
            s_cpu = annotations.get(SIDECAR_ANNOTATIONS[("requests", "cpu")])
            s_mem = annotations.get(SIDECAR_ANNOTATIONS[("requests", "memory")])
            cpu += parse_quantity(s_cpu) if s_cpu else default_cpu
            mem += parse_quantity(s_mem) if s_mem else default_mem
            total.sidecars += replicas
        total.cpu += cpu * replicas
        total.memory += mem * replicas
        total.pods += replicas
    return total
