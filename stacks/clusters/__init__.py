"""Cloud clusters the stack creates before the platform: `kubeforge:cluster: eks|gke|aks`.

One module per cloud (eks.py, gke.py, aks.py), each one CloudCluster ComponentResource: network ->
control plane -> node pools -> the kubernetes provider the platform is applied through. Each cloud's
SDK is imported only when its cluster is asked for.
"""

from __future__ import annotations

import importlib

import pulumi

from kubeforge.errors import BadInput
from kubeforge.spec.model import PlatformSpec
from stacks.clusters.base import CloudCluster

CLUSTERS = {
    "eks": ("stacks.clusters.eks", "EksCluster"),
    "gke": ("stacks.clusters.gke", "GkeCluster"),
    "aks": ("stacks.clusters.aks", "AksCluster"),
}
NO_CLUSTER = ("", "none")


def wanted(cluster: str | None, spec: PlatformSpec) -> str | None:
    """The cloud to create, or None (the platform goes onto an existing cluster); BadInput on a mismatch."""
    if cluster is None or cluster in NO_CLUSTER:
        return None
    if cluster not in CLUSTERS:
        raise BadInput(f"expected one of eks, gke, aks or none, got {cluster!r}", field="kubeforge:cluster")
    if spec.cloud.provider != cluster:
        raise BadInput(
            f"the stack creates {cluster} but the spec's cloud.provider is {spec.cloud.provider!r} "
            f"(use --profile {cluster} or set cloud.provider)",
            field="kubeforge:cluster",
        )
    return cluster


def create_cluster(cloud: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> CloudCluster:
    module, cls = CLUSTERS[cloud]
    built: CloudCluster = getattr(importlib.import_module(module), cls)(spec.cluster.name, spec, opts)
    return built
