"""Where the Kubernetes API server is, as NetworkPolicy sees it (after the Service's DNAT)."""

from __future__ import annotations

from kubeforge.spec.model import PlatformSpec

API_SERVER_PORTS = (443, 6443)
# kind and kubeadm: the API server listens on a node address, always in a private range.
PRIVATE_CIDRS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
# Managed control planes (EKS/GKE/AKS) may sit at a public address outside the cluster's network.
ANY_CIDRS = ("0.0.0.0/0", "::/0")


def api_server_cidrs(spec: PlatformSpec) -> tuple[str, ...]:
    return ANY_CIDRS if spec.cluster.provider == "managed" else PRIVATE_CIDRS


def api_server_egress(spec: PlatformSpec) -> dict[str, object]:
    """An egress rule to the API server: its ports only, at the addresses it may have."""
    return {
        "to": [{"ipBlock": {"cidr": c}} for c in api_server_cidrs(spec)],
        "ports": [{"protocol": "TCP", "port": p} for p in API_SERVER_PORTS],
    }
