"""kind (laptop) clusters: the cluster config generated from the spec, and the laptop doctor. No Pulumi here."""

from kubeforge.kind.config import (
    HOST_HTTPS_PORT,
    INGRESS_NODE_PORT,
    kind_cluster_config,
    kind_ingress_patch,
    node_image,
)
from kubeforge.kind.doctor import INOTIFY_MINIMUMS, LaptopReport, SysctlChange, laptop_report, sysctl_changes

__all__ = [
    "HOST_HTTPS_PORT",
    "INGRESS_NODE_PORT",
    "INOTIFY_MINIMUMS",
    "LaptopReport",
    "SysctlChange",
    "kind_cluster_config",
    "kind_ingress_patch",
    "laptop_report",
    "node_image",
    "sysctl_changes",
]
