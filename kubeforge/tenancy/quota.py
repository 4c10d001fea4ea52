"""A team's quota is what the team itself can use: the pods kubeforge runs in a team namespace (KFP's
artifact proxy and visualization server, the team's model registry and its MySQL, their sidecars and
volumes) are added on top of the spec's quota, so the platform's share neither eats nor exceeds it.
Runs after sizing (which sets the containers' resources and the sidecars' annotations)."""

from __future__ import annotations

from decimal import Decimal

from kubeforge.k8s import (
    KObj,
    annotations_of,
    labels_of,
    name_of,
    namespace_of,
    pod_spec,
    pod_template_metadata,
    sidecar_injected,
)
from kubeforge.names import PLATFORM_SHARE_ANNOTATION, SIDECAR_ANNOTATIONS
from kubeforge.spec.quantity import parse_quantity
from kubeforge.tenancy.namespace import QUOTA_NAME

# Quota keys ("limits.cpu", ...) of the sidecar's resources, as the injector reads them (set by sizing).
SIDECAR = {f"{kind}.{res}": annotation for (kind, res), annotation in SIDECAR_ANNOTATIONS.items()}
COMPUTE = tuple(SIDECAR)
GIB = Decimal(2) ** 30
MIB = Decimal(2) ** 20


def _pod_share(o: KObj, ns_labels: dict[str, dict[str, str]]) -> dict[str, Decimal]:
    share = dict.fromkeys(COMPUTE, Decimal(0))
    for c in (pod_spec(o) or {}).get("containers") or []:
        resources = c.get("resources") or {}
        for key in COMPUTE:
            kind, res = key.split(".")
            value = (resources.get(kind) or {}).get(res)
            share[key] += parse_quantity(str(value)) if value is not None else Decimal(0)
    if sidecar_injected(o, ns_labels):
        sidecar = pod_template_metadata(o).get("annotations") or {}
        for key, annotation in SIDECAR.items():
            if annotation in sidecar:
                share[key] += parse_quantity(str(sidecar[annotation]))
    replicas = Decimal(int(o.get("spec", {}).get("replicas", 1)))
    return {k: v * replicas for k, v in share.items()}


def platform_shares(objects: list[KObj]) -> dict[str, dict[str, Decimal]]:
    """What kubeforge's own objects take in each namespace: compute (pods, sidecars), storage and PVCs."""
    ns_labels = {name_of(o): labels_of(o) for o in objects if o.get("kind") == "Namespace"}
    shares: dict[str, dict[str, Decimal]] = {}
    for o in objects:
        kind = o.get("kind")
        if kind not in ("Deployment", "StatefulSet", "PersistentVolumeClaim"):
            continue
        share = shares.setdefault(str(namespace_of(o)), {})
        if kind == "PersistentVolumeClaim":
            storage = o.get("spec", {}).get("resources", {}).get("requests", {}).get("storage")
            add = {"requests.storage": parse_quantity(str(storage)) if storage else Decimal(0)}
            add["persistentvolumeclaims"] = Decimal(1)
        elif pod_spec(o) is not None:
            add = _pod_share(o, ns_labels)
        else:
            continue
        for key, value in add.items():
            share[key] = share.get(key, Decimal(0)) + value
    return shares


def _format(key: str, value: Decimal) -> str:
    if key == "persistentvolumeclaims" or key.startswith("requests.nvidia"):
        return str(int(value))
    if key.endswith(".cpu"):
        return str(int(value)) if value == int(value) else f"{int(value * 1000)}m"
    for unit, size in (("Gi", GIB), ("Mi", MIB)):
        if value % size == 0:
            return f"{int(value / size)}{unit}"
    return str(int(value))


def with_platform_share(objects: list[KObj]) -> list[KObj]:
    """Each team quota raised by the share of kubeforge's own objects in its namespace, the share
    recorded on the quota (`kubeforge.io/platform-share`) so an operator sees what the team keeps."""
    shares = platform_shares(objects)
    out: list[KObj] = []
    for o in objects:
        if o.get("kind") != "ResourceQuota" or name_of(o) != QUOTA_NAME:
            out.append(o)
            continue
        share = {k: v for k, v in shares.get(str(namespace_of(o)), {}).items() if v}
        hard = dict(o["spec"]["hard"])
        for key, value in share.items():
            if key in hard:
                hard[key] = _format(key, parse_quantity(str(hard[key])) + value)
        md = {**o["metadata"], "annotations": {**annotations_of(o)}}
        md["annotations"][PLATFORM_SHARE_ANNOTATION] = ",".join(
            f"{k}={_format(k, v)}" for k, v in sorted(share.items())
        )
        out.append({**o, "metadata": md, "spec": {**o["spec"], "hard": hard}})
    return out
