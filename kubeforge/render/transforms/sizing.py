"""Profile sizing: replicas, requests and limits on every container, Istio sidecar resources.

Requests may shrink (a laptop); limits never drop below upstream's, and a missing limit gets generous
headroom: a limit that kills a component is worse than none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kubeforge.k8s import KObj, name_of, pod_spec
from kubeforge.names import SIDECAR_ANNOTATIONS
from kubeforge.spec.model import ComponentSpec, Resources, Sizing
from kubeforge.spec.quantity import parse_quantity


@dataclass(frozen=True)
class Plan:
    """The effective sizing of one component."""

    replicas: int | None
    cap: Resources | None
    default_requests: Resources
    default_limits: Resources
    limit_floor: Resources | None
    sidecar_requests: Resources
    sidecar_limits: Resources


def plan_for(sizing: Sizing, component: ComponentSpec | None) -> Plan:
    comp = component or ComponentSpec()
    return Plan(
        replicas=comp.replicas if comp.replicas is not None else sizing.replicas,
        cap=comp.requests or sizing.max_requests,
        default_requests=sizing.default_requests,
        default_limits=sizing.default_limits,
        limit_floor=comp.limits,
        sidecar_requests=sizing.sidecar.requests,
        sidecar_limits=sizing.sidecar.limits,
    )


def apply_sizing(objects: list[KObj], plan: Plan) -> list[KObj]:
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        if plan.replicas is not None and obj.get("kind") == "Deployment" and _scalable(obj, spec):
            obj["spec"]["replicas"] = plan.replicas
        for key in ("initContainers", "containers"):
            for container in spec.get(key) or []:
                container["resources"] = size_container(container.get("resources") or {}, plan)
        _annotate_sidecar(obj, plan)
    return objects


def _scalable(obj: KObj, spec: dict[str, Any]) -> bool:
    """Singletons stay single: a Deployment on a PVC or with Recreate is a database or a single writer."""
    if any("persistentVolumeClaim" in (v or {}) for v in spec.get("volumes") or []):
        return False
    return ((obj.get("spec") or {}).get("strategy") or {}).get("type") != "Recreate"


def size_container(resources: dict[str, Any], plan: Plan) -> dict[str, Any]:
    requests = dict(resources.get("requests") or {})
    limits = dict(resources.get("limits") or {})
    for res in ("cpu", "memory"):
        cap = getattr(plan.cap, res) if plan.cap else None
        if res in requests:
            if cap is not None and parse_quantity(requests[res]) > parse_quantity(cap):
                requests[res] = cap
        elif (default := getattr(plan.default_requests, res)) is not None:
            requests[res] = _min(default, cap) if cap else default
        if res in limits:
            floor = getattr(plan.limit_floor, res) if plan.limit_floor else None
            if floor is not None and parse_quantity(floor) > parse_quantity(limits[res]):
                limits[res] = floor
        elif (default_limit := getattr(plan.default_limits, res)) is not None:
            limits[res] = default_limit
        if res in requests and res in limits and parse_quantity(requests[res]) > parse_quantity(limits[res]):
            requests[res] = limits[res]  # the API server rejects requests above limits
    out = {k: v for k, v in resources.items() if k not in ("requests", "limits")}
    if requests:
        out["requests"] = requests
    if limits:
        out["limits"] = limits
    return out


def _min(a: str, b: str) -> str:
    return a if parse_quantity(a) <= parse_quantity(b) else b


def _annotate_sidecar(obj: KObj, plan: Plan) -> None:
    if obj.get("kind") == "Pod":
        meta = obj.setdefault("metadata", {})
    else:
        template = (obj.get("spec") or {}).get("template")
        if template is None:
            template = (((obj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template")
        if not isinstance(template, dict):
            return
        meta = template.setdefault("metadata", {})
    annotations = meta.get("annotations") or {}
    for (kind, res), key in SIDECAR_ANNOTATIONS.items():
        value = getattr(plan.sidecar_requests if kind == "requests" else plan.sidecar_limits, res)
        if value is not None:
            annotations.setdefault(key, value)
    meta["annotations"] = annotations


def size_injector_defaults(objects: list[KObj], plan: Plan) -> list[KObj]:
    """The mesh-wide default sidecar resources (pods of teams, notebooks) in istio-sidecar-injector's values."""
    for obj in objects:
        if obj.get("kind") != "ConfigMap" or name_of(obj) != "istio-sidecar-injector":
            continue
        data = obj.get("data") or {}
        if "values" not in data:
            continue
        values = json.loads(data["values"])
        proxy = values.setdefault("global", {}).setdefault("proxy", {})
        proxy["resources"] = {
            "requests": {k: v for k, v in plan.sidecar_requests.model_dump().items() if v is not None},
            "limits": {k: v for k, v in plan.sidecar_limits.model_dump().items() if v is not None},
        }
        data["values"] = json.dumps(values, indent=2, sort_keys=True)
    return objects


def container_requests(resources: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """(cpu cores, memory bytes) a container requests; Kubernetes takes limits when requests are absent."""
    req = resources.get("requests") or {}
    lim = resources.get("limits") or {}
    cpu = req.get("cpu", lim.get("cpu", "0"))
    mem = req.get("memory", lim.get("memory", "0"))
    return parse_quantity(cpu), parse_quantity(mem)


__all__ = ["Plan", "apply_sizing", "container_requests", "plan_for", "size_container", "size_injector_defaults"]
