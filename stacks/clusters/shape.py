"""What every cloud cluster is made of, as data: pools, GPU taint and labels, log types, kubeconfigs.

No Pulumi import: the shapes the EKS, GKE and AKS modules build from, and the CrossGuard rules check
against, are tested without the Pulumi runtime.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import yaml

from kubeforge.gpu.names import GPU_NODE_LABEL, GPU_NODE_VALUE, GPU_RESOURCE
from kubeforge.spec.model import NodePoolSpec, PlatformSpec

POOL_LABEL = "kubeforge.io/pool"
# The taint the GPU layer's device plugin tolerates (kubeforge/gpu/deviceplugin.py): only pods asking
# for a GPU (or tolerating it explicitly) land on the expensive nodes.
GPU_TAINT_KEY = GPU_RESOURCE
GPU_TAINT_VALUE = "present"
GPU_TAINT_EFFECT = "NoSchedule"

# Machine types when the spec names none: the smallest current NVIDIA instance of each cloud and a
# general-purpose 8 vCPU / 32 GiB node that fits the production profile's platform pods.
DEFAULT_MACHINES: dict[str, dict[str, str]] = {
    "eks": {"cpu": "m6i.2xlarge", "gpu": "g6.xlarge"},
    "gke": {"cpu": "n2-standard-8", "gpu": "g2-standard-8"},
    "aks": {"cpu": "Standard_D8s_v5", "gpu": "Standard_NC4as_T4_v3"},
}

# Control-plane log streams each cloud can send (all of them: audit included).
EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
GKE_LOG_COMPONENTS = ("SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS")
AKS_LOG_CATEGORIES = (
    "kube-apiserver",
    "kube-audit",
    "kube-audit-admin",
    "kube-controller-manager",
    "kube-scheduler",
    "cluster-autoscaler",
    "guard",
)


@dataclass(frozen=True)
class PoolShape:
    """One node pool as every cloud module builds it."""

    name: str  # "cpu" or "gpu"
    machine_type: str
    min: int
    max: int
    disk_gb: int
    gpu: bool
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[tuple[str, str, str], ...] = ()  # (key, value, effect) in Kubernetes spelling

    @property
    def initial(self) -> int:
        """Nodes at creation: the lower bound (the autoscaler moves it between min and max)."""
        return self.min


def _pool(cloud: str, name: str, pool: NodePoolSpec, gpu: bool) -> PoolShape:
    labels = {POOL_LABEL: name}
    taints: tuple[tuple[str, str, str], ...] = ()
    if gpu:
        labels[GPU_NODE_LABEL] = GPU_NODE_VALUE  # the GPU layer's DaemonSet and RuntimeClass select it
        taints = ((GPU_TAINT_KEY, GPU_TAINT_VALUE, GPU_TAINT_EFFECT),)
    return PoolShape(
        name=name,
        machine_type=pool.machine_type or DEFAULT_MACHINES[cloud][name],
        min=pool.min,
        max=pool.max,
        disk_gb=pool.disk_gb,
        gpu=gpu,
        labels=labels,
        taints=taints,
    )


def pools(spec: PlatformSpec) -> list[PoolShape]:
    """The CPU pool always; the GPU pool when the spec enables GPUs."""
    cloud = spec.cloud.provider
    out = [_pool(cloud, "cpu", spec.cloud.cpu_pool, gpu=False)]
    if spec.gpu.enabled:
        out.append(_pool(cloud, "gpu", spec.cloud.gpu_pool, gpu=True))
    return out


def prefix(spec: PlatformSpec) -> str:
    """Cloud resource names: kubeforge-<cluster name>."""
    return f"kubeforge-{spec.cluster.name}"


def public_cidrs(spec: PlatformSpec) -> list[str]:
    """The CIDRs the API endpoint is open to: none unless the spec asks for a public endpoint."""
    ep = spec.cloud.endpoint
    return list(ep.public_cidrs) if ep.public else []


def subnet_cidrs(network: str, count: int, new_prefix: int = 20) -> list[str]:
    """The first `count` /new_prefix subnets of the network range, in order."""
    subnets = ipaddress.ip_network(network).subnets(new_prefix=new_prefix)
    return [str(next(subnets)) for _ in range(count)]


def exec_kubeconfig(name: str, server: str, ca_data: str, command: str, args: list[str]) -> str:
    """A kubeconfig whose user runs the cloud's credential plugin: no static token in state."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
        "users": [
            {
                "name": name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": command,
                        "args": args,
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    return yaml.safe_dump(doc, sort_keys=False)
