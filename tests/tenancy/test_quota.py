"""A team's quota gains exactly what kubeforge's own pods and volumes in its namespace take."""

from __future__ import annotations

from typing import Any

from kubeforge.names import PLATFORM_SHARE_ANNOTATION
from kubeforge.tenancy.quota import with_platform_share

SIDECAR = {
    "sidecar.istio.io/proxyCPU": "20m",
    "sidecar.istio.io/proxyMemory": "64Mi",
    "sidecar.istio.io/proxyCPULimit": "1",
    "sidecar.istio.io/proxyMemoryLimit": "512Mi",
}


def _ns(name: str, injected: bool = True) -> dict[str, Any]:
    labels = {"istio-injection": "enabled"} if injected else {}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _quota(ns: str) -> dict[str, Any]:
    hard = {
        "requests.cpu": "4",
        "limits.cpu": "4",
        "requests.memory": "8Gi",
        "limits.memory": "8Gi",
        "requests.storage": "50Gi",
        "persistentvolumeclaims": "10",
        "requests.nvidia.com/gpu": "0",
    }
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "team-quota", "namespace": ns},
        "spec": {"hard": hard},
    }


def _deploy(ns: str, name: str, replicas: int, *, inject: str | None = None) -> dict[str, Any]:
    labels = {"app": name} | ({"sidecar.istio.io/inject": inject} if inject else {})
    resources = {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}
    template = {
        "metadata": {"labels": labels, "annotations": dict(SIDECAR)},
        "spec": {"containers": [{"name": name, "image": "x@sha256:0", "resources": resources}]},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": replicas, "template": template},
    }


def _pvc(ns: str, size: str) -> dict[str, Any]:
    spec = {"resources": {"requests": {"storage": size}}}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "db", "namespace": ns},
        "spec": spec,
    }


def _hard(objects: list[dict[str, Any]], ns: str) -> dict[str, str]:
    return next(o for o in objects if o["kind"] == "ResourceQuota" and o["metadata"]["namespace"] == ns)["spec"]["hard"]


def test_pods_sidecars_and_volumes_come_on_top() -> None:
    objects = [
        _ns("alpha"),
        _quota("alpha"),
        _deploy("alpha", "proxy", 2),  # 2 x (500m + 1 sidecar)
        _deploy("alpha", "db", 1, inject="false"),  # 500m, no sidecar
        _pvc("alpha", "20Gi"),
    ]
    out = with_platform_share(objects)
    hard = _hard(out, "alpha")
    assert hard["limits.cpu"] == "7500m"  # 4 + 2 x 1.5 + 0.5
    assert hard["requests.cpu"] == "4190m"  # 4 + 2 x 70m + 50m
    assert hard["limits.memory"] == "10752Mi"  # 8Gi + 2 x 1Gi + 512Mi
    assert hard["requests.storage"] == "70Gi" and hard["persistentvolumeclaims"] == "11"
    assert hard["requests.nvidia.com/gpu"] == "0"
    share = next(o for o in out if o["kind"] == "ResourceQuota")["metadata"]["annotations"][PLATFORM_SHARE_ANNOTATION]
    assert "limits.cpu=3500m" in share and "persistentvolumeclaims=1" in share
    assert objects[1]["spec"]["hard"]["limits.cpu"] == "4"  # the input is not changed in place


def test_a_namespace_without_injection_counts_no_sidecar_and_other_teams_stay_apart() -> None:
    objects = [_ns("alpha", injected=False), _quota("alpha"), _deploy("alpha", "proxy", 1), _ns("beta"), _quota("beta")]
    out = with_platform_share(objects)
    assert _hard(out, "alpha")["limits.cpu"] == "4500m"
    assert _hard(out, "beta") == _quota("beta")["spec"]["hard"]  # nothing of kubeforge's runs in beta
