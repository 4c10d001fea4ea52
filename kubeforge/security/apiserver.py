"""Where the Kubernetes API server is, as NetworkPolicy sees it (after the Service's DNAT)."""

from __future__ import annotations

from kubeforge.spec.model import PlatformSpec

API_SERVER_PORTS = (443, 6443)
# kind only (the spec requires cluster.api_server elsewhere): the node address docker or podman gives.
PRIVATE_CIDRS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")


def api_server_cidrs(spec: PlatformSpec) -> tuple[str, ...]:
    """The spec's API server addresses; the private ranges only on kind, where they are not known ahead."""
    return tuple(spec.cluster.api_server) or PRIVATE_CIDRS


def api_server_egress(spec: PlatformSpec) -> dict[str, object]:
    """An egress rule to the API server: its ports only, at the addresses it may have."""
    return {
        "to": [{"ipBlock": {"cidr": c}} for c in api_server_cidrs(spec)],
        "ports": [{"protocol": "TCP", "port": p} for p in API_SERVER_PORTS],
    }


def node_cidrs(spec: PlatformSpec) -> tuple[str, ...]:
    """The nodes' addresses (kubelet, host-network exporters); the private ranges when the spec lists none."""
    return tuple(spec.cluster.nodes) or PRIVATE_CIDRS
