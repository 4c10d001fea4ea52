"""The cloud ingress transform: the Istio gateway becomes a LoadBalancer on EKS, GKE and AKS, nothing else moves."""

from __future__ import annotations

import copy

import pytest

from kubeforge.k8s import KObj
from kubeforge.render.transforms.cloud_ingress import cloud_load_balancer


def service(name: str = "istio-ingressgateway", namespace: str = "istio-system") -> KObj:
    # The ports of upstream 26.03's istio-ingressgateway Service (common/istio/istio-install/base).
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": "istio-ingressgateway"}},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": "istio-ingressgateway", "istio": "ingressgateway"},
            "ports": [
                {"name": "status-port", "port": 15021, "targetPort": 15021, "protocol": "TCP"},
                {"name": "http2", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
            ],
        },
    }


@pytest.mark.parametrize("cloud", ["eks", "gke", "aks"])
def test_the_gateway_becomes_a_load_balancer(cloud: str) -> None:
    original = service()
    [out] = cloud_load_balancer([original], cloud)
    assert out["spec"]["type"] == "LoadBalancer"
    assert out["spec"]["externalTrafficPolicy"] == "Local"
    assert out["spec"]["ports"] == original["spec"]["ports"]  # no nodePort pinned, unlike kind
    annotations = out["metadata"].get("annotations") or {}
    assert annotations == ({"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"} if cloud == "eks" else {})
    assert original["spec"]["type"] == "ClusterIP", "the input object is not modified"


def test_other_objects_and_no_cloud_are_untouched() -> None:
    others = [service("cluster-local-gateway"), service(namespace="kubeflow")]
    assert cloud_load_balancer(copy.deepcopy(others), "eks") == others
    assert cloud_load_balancer([service()], "none") == [service()]


def test_it_is_idempotent() -> None:
    once = cloud_load_balancer([service()], "eks")
    assert cloud_load_balancer(copy.deepcopy(once), "eks") == once
