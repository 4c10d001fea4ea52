"""The kind cluster config (kind.x-k8s.io/v1alpha4) for a spec, and the kind-only ingress Service patch.

The ingress path on a laptop: host port (spec.ingress.port, 8443) -> kind node container port
INGRESS_NODE_PORT -> NodePort of istio-ingressgateway's https port -> the gateway pod's 8443.
"""

from __future__ import annotations

import copy
from typing import Any

from kubeforge.k8s import KObj, metadata_of
from kubeforge.release.model import Lock
from kubeforge.spec.model import PlatformSpec

HOST_HTTPS_PORT = 8443
INGRESS_NODE_PORT = 30443  # inside the NodePort range (30000-32767) and stable: the kind config maps it
INGRESS_NAMESPACE = "istio-system"
INGRESS_SERVICE = "istio-ingressgateway"

# Kubeflow's m2m tokens (oauth2-proxy ENABLE_M2M_TOKENS) need the API server's issuer to be the in-cluster URL.
_API_SERVER_PATCH = """kind: ClusterConfiguration
apiServer:
  extraArgs:
    service-account-issuer: https://kubernetes.default.svc
    service-account-signing-key-file: /etc/kubernetes/pki/sa.key
"""


def node_image(spec: PlatformSpec, lock: Lock) -> str:
    """kindest/node at the lock's tested version, unless the spec pins another full version."""
    wanted = spec.cluster.kubernetes.lstrip("v")
    tested = lock.kubernetes.tested.lstrip("v")
    if wanted.count(".") == 2:
        version = wanted
    elif tested.split(".")[:2] == wanted.split(".")[:2]:
        version = tested
    else:
        version = f"{wanted}.0"  # a supported minor the lock did not test: its first patch release
    return f"kindest/node:v{version}"


def kind_cluster_config(spec: PlatformSpec, lock: Lock) -> dict[str, Any]:
    """One control-plane node that also runs workloads, with the ingress port mapped to the host."""
    host_port = spec.ingress.port or HOST_HTTPS_PORT
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": spec.cluster.name,
        "nodes": [
            {
                "role": "control-plane",
                "image": node_image(spec, lock),
                "kubeadmConfigPatches": [_API_SERVER_PATCH],
                "extraPortMappings": [
                    {
                        "containerPort": INGRESS_NODE_PORT,
                        "hostPort": host_port,
                        "listenAddress": "127.0.0.1",  # the laptop only: the platform is not for the LAN
                        "protocol": "TCP",
                    }
                ],
            }
        ],
    }


def kind_ingress_patch(objects: list[KObj]) -> list[KObj]:
    """istio-ingressgateway as a NodePort whose https port is INGRESS_NODE_PORT; other objects untouched.

    Idempotent: a render that already carries the patch comes back equal.
    """
    out: list[KObj] = []
    for obj in objects:
        meta = metadata_of(obj)
        if (
            obj.get("kind") == "Service"
            and meta.get("name") == INGRESS_SERVICE
            and meta.get("namespace") == INGRESS_NAMESPACE
        ):
            obj = copy.deepcopy(obj)
            spec = obj.setdefault("spec", {})
            spec["type"] = "NodePort"
            for port in spec.get("ports") or []:
                if port.get("name") == "https" or port.get("port") == 443:
                    port["nodePort"] = INGRESS_NODE_PORT
        out.append(obj)
    return out
