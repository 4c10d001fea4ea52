"""Managed data services the stack creates next to its cloud cluster (spec `data.*`): one module per
cloud (eks.py: RDS + S3, gke.py: Cloud SQL, aks.py: Azure Database for MySQL flexible server), each a
DataServices ComponentResource in the cluster's network. Imported only when the spec asks for one."""

from __future__ import annotations

import importlib

import pulumi

from kubeforge.spec.model import PlatformSpec
from stacks.clusters.base import CloudCluster
from stacks.data.base import DataServices

MODULES = {
    "eks": ("stacks.data.eks", "EksData"),
    "gke": ("stacks.data.gke", "GkeData"),
    "aks": ("stacks.data.aks", "AksData"),
}


def create_data(
    spec: PlatformSpec, cluster: CloudCluster, opts: pulumi.ResourceOptions | None = None
) -> DataServices | None:
    """The spec's managed services, or None when both stay in the cluster (the default)."""
    if not (spec.data.database.managed or spec.data.artifacts.managed):
        return None
    module, cls = MODULES[spec.cloud.provider]
    # Ordered after the cluster's network and key by its inputs (ids, ARNs); the platform waits for it in turn.
    built: DataServices = getattr(importlib.import_module(module), cls)(
        f"{spec.cluster.name}-data", spec, cluster, opts
    )
    return built
