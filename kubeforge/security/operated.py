"""Pods the Prometheus Operator creates from Prometheus and Alertmanager objects, as the StatefulSets it
would render: their labels, named ports, service account, containers and replicas. The render holds
only the custom resources; the network evaluation, the derived allows and the footprint need the pods.

Labels, ports and the config-reloader's resources follow prometheus-operator v0.92.0 (the version
kube-prometheus v0.18.0 ships): pkg/prometheus/statefulset.go and pkg/alertmanager/statefulset.go.
"""

from __future__ import annotations

from typing import Any

from kubeforge.k8s import KObj, name_of, namespace_of

# The operator's config-reloader sidecar (its --config-reloader-cpu/memory-request defaults).
RELOADER = {"name": "config-reloader", "resources": {"requests": {"cpu": "10m", "memory": "50Mi"}}}
RELOADER_PORT = {"name": "reloader-web", "containerPort": 8080, "protocol": "TCP"}
# What each kind runs: the main container's ports, the labels the operator adds, the label naming the instance.
_KINDS: dict[str, tuple[str, list[dict[str, Any]], str]] = {
    "Prometheus": ("prometheus", [{"name": "web", "containerPort": 9090, "protocol": "TCP"}], "prometheus"),
    "Alertmanager": (
        "alertmanager",
        [
            {"name": "web", "containerPort": 9093, "protocol": "TCP"},
            {"name": "mesh-tcp", "containerPort": 9094, "protocol": "TCP"},
            {"name": "mesh-udp", "containerPort": 9094, "protocol": "UDP"},
        ],
        "alertmanager",
    ),
}


def operated_workloads(objects: list[KObj]) -> list[KObj]:
    """One StatefulSet-shaped object per Prometheus or Alertmanager object in `objects`."""
    out = []
    for o in objects:
        shape = _KINDS.get(str(o.get("kind")))
        if shape is None or not str(o.get("apiVersion", "")).startswith("monitoring.coreos.com/"):
            continue
        app, ports, instance_label = shape
        spec = o.get("spec") or {}
        name = name_of(o)
        labels = {
            **{str(k): str(v) for k, v in ((spec.get("podMetadata") or {}).get("labels") or {}).items()},
            "app.kubernetes.io/name": app,
            "app.kubernetes.io/managed-by": "prometheus-operator",
            "app.kubernetes.io/instance": name,
            instance_label: name,
            "operator.prometheus.io/name": name,
        }
        main = {"name": app, "ports": ports, "resources": spec.get("resources") or {}}
        reloader = {**RELOADER, "ports": [RELOADER_PORT]}
        template = {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": spec.get("serviceAccountName") or "default",
                "containers": [main, reloader],
            },
        }
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": {"name": f"{app}-{name}", "namespace": namespace_of(o) or "default"},
                "spec": {"replicas": int(spec.get("replicas") or 1), "template": template},
            }
        )
    return out


__all__ = ["operated_workloads"]
