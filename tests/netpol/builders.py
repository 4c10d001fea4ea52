"""Tiny builders for the plain-dict objects the evaluator reads."""

from __future__ import annotations

from typing import Any

from kubeforge.k8s import KObj


def namespace(name: str, **labels: str) -> KObj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def deployment(name: str, ns: str, labels: dict[str, str], ports: list[dict[str, Any]] | None = None) -> KObj:
    container: dict[str, Any] = {"name": "main", "image": "busybox"}
    if ports:
        container["ports"] = ports
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def policy(name: str, ns: str, spec: dict[str, Any]) -> KObj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }
