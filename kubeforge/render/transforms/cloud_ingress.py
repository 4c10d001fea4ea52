"""Cloud ingress: on EKS, GKE and AKS the Istio ingress gateway is a LoadBalancer Service (kind: a NodePort).

Each cloud's own service controller builds the load balancer, with no extra controller installed:
EKS's in-tree controller makes a Network Load Balancer in the subnets tagged kubernetes.io/role/elb,
GKE an external passthrough load balancer, AKS a rule on the cluster's public Standard load balancer.
"""

from __future__ import annotations

import copy

from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.kind.config import INGRESS_NAMESPACE, INGRESS_SERVICE

ANNOTATIONS: dict[str, dict[str, str]] = {
    # An NLB, not the Classic ELB the in-tree controller makes by default (deprecated by AWS).
    "eks": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
    "gke": {},
    "aks": {},
}


def cloud_load_balancer(objects: list[KObj], cloud: str) -> list[KObj]:
    """istio-ingressgateway as a LoadBalancer with the cloud's annotations; no change for cloud none."""
    if cloud not in ANNOTATIONS:
        return objects
    out: list[KObj] = []
    for obj in objects:
        if obj.get("kind") == "Service" and (namespace_of(obj), name_of(obj)) == (INGRESS_NAMESPACE, INGRESS_SERVICE):
            obj = copy.deepcopy(obj)
            obj.setdefault("spec", {})["type"] = "LoadBalancer"
            # The client's address reaches the gateway (its logs and any source-range policy see it).
            obj["spec"]["externalTrafficPolicy"] = "Local"
            if ANNOTATIONS[cloud]:
                meta = obj.setdefault("metadata", {})
                meta["annotations"] = {**(meta.get("annotations") or {}), **ANNOTATIONS[cloud]}
        out.append(obj)
    return out
