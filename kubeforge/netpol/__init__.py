"""Static NetworkPolicy reachability over rendered objects (see `network` for the semantics)."""

from kubeforge.netpol.endpoints import Endpoint, IPEndpoint, NamedPort, PodEndpoint, pod_classes
from kubeforge.netpol.flows import Flow, FlowResult, FlowSide, check_flow, check_flows
from kubeforge.netpol.labels import LabelSelector
from kubeforge.netpol.network import Network, Verdict
from kubeforge.netpol.policy import Policy, parse_policy

__all__ = [
    "Endpoint",
    "Flow",
    "FlowResult",
    "FlowSide",
    "IPEndpoint",
    "LabelSelector",
    "NamedPort",
    "Network",
    "PodEndpoint",
    "Policy",
    "Verdict",
    "check_flow",
    "check_flows",
    "parse_policy",
    "pod_classes",
]
