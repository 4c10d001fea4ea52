"""A team's quota is what the team itself can use: the pods kubeforge runs in a team namespace (KFP's
artifact proxy and visualization server, the team's model registry and its MySQL, their sidecars and
volumes) are added on top of the spec's quota, so the platform's share neither eats nor exceeds it.
Runs after sizing (which sets the containers' resources and the sidecars' annotations)."""

from __future__ import annotations

from decimal import Decimal

from kubeforge.k8s import KObj, annotations_of, labels_of, name_of, namespace_of, pod_spec
from kubeforge.names import PLATFORM_SHARE_ANNOTATION
from kubeforge.spec.quantity import parse_quantity
from kubeforge.tenancy.namespace import QUOTA_NAME

# The sidecar's resources, as the injector reads them from the pod template (set by sizing).
SIDECAR = {
    "requests.cpu": "sidecar.istio.io/proxyCPU",
    "requests.memory": "sidecar.istio.io/proxyMemory",
    "limits.cpu": "sidecar.istio.io/proxyCPULimit",
    "limits.memory": "sidecar.istio.io/proxyMemoryLimit",
}
COMPUTE = tuple(SIDECAR)
GIB = Decimal(2) ** 30
MIB = Decimal(2) ** 20


def _injected(namespace: KObj | None, template: KObj) -> bool:
    """Whether Istio injects a sidecar: the pod template's own word, else its namespace's label."""
    word = labels_of(template).get("sidecar.istio.io/inject", annotations_of(template).get("sidecar.istio.io/inject"))
    if word is not None:
        return str(word) == "true"
    return namespace is not None and labels_of(namespace).get("istio-injection") == "enabled"


def _pod_share(o: KObj, namespace: KObj | None) -> dict[str, Decimal]:
    spec = pod_spec(o) or {}
    share = dict.fromkeys(COMPUTE, Decimal(0))
    for c in spec.get("containers") or []:
        resources = c.get("resources") or {}
        for key in COMPUTE:
            kind, res = key.split(".")
            value = (resources.get(kind) or {}).get(res)
            share[key] += parse_quantity(str(value)) if value is not None else Decimal(0)
    template = o.get("spec", {}).get("template") or {}
    if _injected(namespace, template):
        sidecar = annotations_of(template)
        for key, annotation in SIDECAR.items():
            if annotation in sidecar:
                share[key] += parse_quantity(str(sidecar[annotation]))
    replicas = Decimal(int(o.get("spec", {}).get("replicas", 1)))
    return {k: v * replicas for k, v in share.items()}


def platform_share(objects: list[KObj], namespace: str) -> dict[str, Decimal]:
    """What kubeforge's own objects in `namespace` take: compute (pods, sidecars), storage and PVCs."""
    ns = next((o for o in objects if o.get("kind") == "Namespace" and name_of(o) == namespace), None)
    share = {**dict.fromkeys(COMPUTE, Decimal(0)), "requests.storage": Decimal(0), "persistentvolumeclaims": Decimal(0)}
    for o in objects:
        if namespace_of(o) != namespace:
            continue
        if o.get("kind") in ("Deployment", "StatefulSet") and pod_spec(o) is not None:
            for key, value in _pod_share(o, ns).items():
                share[key] += value
        elif o.get("kind") == "PersistentVolumeClaim":
            storage = o.get("spec", {}).get("resources", {}).get("requests", {}).get("storage")
            share["requests.storage"] += parse_quantity(str(storage)) if storage else Decimal(0)
            share["persistentvolumeclaims"] += 1
    return share


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
    out: list[KObj] = []
    for o in objects:
        if o.get("kind") != "ResourceQuota" or name_of(o) != QUOTA_NAME:
            out.append(o)
            continue
        share = {k: v for k, v in platform_share(objects, str(namespace_of(o))).items() if v}
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
