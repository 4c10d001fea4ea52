"""Static NetworkPolicy reachability: is a connection from src to dst on port/protocol allowed?

Semantics are those of networking.k8s.io/v1 NetworkPolicy:

* A pod is isolated for ingress (egress) iff some policy in its namespace selects it and lists
  Ingress (Egress) in its (defaulted) policyTypes. Policies only add permissions: a connection is
  allowed iff the egress side (src not egress-isolated, or some egress rule of some selecting
  policy matches) AND the ingress side (likewise for dst) both allow it.
* Peers: podSelector alone means pods in the policy's namespace; namespaceSelector alone means all
  pods in matching namespaces; both means both must match; every namespace carries the label
  `kubernetes.io/metadata.name: <name>`.
* Ports: numbers, ranges (endPort) and names; a name is looked up among the DESTINATION pod's
  container ports (of the same protocol), for egress rules too. No ports means all ports.

Choices a static check must make, since pods have no IPs here:

* ipBlock matches only endpoints that carry an IP: an `IPEndpoint` (external hosts, the API
  server, nodes) or a `PodEndpoint` given an explicit `ip`. A pod class without an IP never
  matches an ipBlock, as Kubernetes intends ipBlock for cluster-external addresses.
* An `IPEndpoint` is not a pod, so no policy isolates it; only the pod side is evaluated.
* An `IPEndpoint` holding a CIDR stands for every address in it: the verdict is allowed only if
  all of them are; if some but not all are, the verdict is denied with `partial=True`.
* Loopback and traffic from a pod's own node (always allowed by Kubernetes) are not modelled:
  a pod class stands for many replicas, and node placement is unknown statically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubeforge.errors import BadInput
from kubeforge.k8s import KObj, labels_of, name_of
from kubeforge.names import NAMESPACE_NAME_LABEL
from kubeforge.netpol.endpoints import PROTOCOLS, Endpoint, PodEndpoint, pod_classes
from kubeforge.netpol.ipblock import IPNetwork, covers_all
from kubeforge.netpol.labels import LabelSelector
from kubeforge.netpol.policy import EGRESS, INGRESS, Peer, Policy, parse_policy


@dataclass(frozen=True)
class Verdict:
    """The answer; `reason` names the policies that decided it. `partial` marks a CIDR endpoint of
    which only some addresses are allowed (then `allowed` is False)."""

    allowed: bool
    reason: str
    partial: bool = False

    def __bool__(self) -> bool:
        return self.allowed


@dataclass
class _Side:
    """What one direction (egress of src, or ingress of dst) lets through, and why."""

    full: bool
    empty: bool
    reason: str


@dataclass
class _Coverage:
    """Accumulates which part of the peer endpoint the matching rules cover."""

    whole: IPNetwork | None
    all: bool = False
    parts: list[IPNetwork] = field(default_factory=list)

    def add(self, part: bool | list[IPNetwork]) -> None:
        if part is True:
            self.all = True
        elif isinstance(part, list):
            self.parts.extend(part)

    @property
    def full(self) -> bool:
        return self.all or (self.whole is not None and bool(self.parts) and covers_all(self.whole, self.parts))

    @property
    def empty(self) -> bool:
        return not self.all and not self.parts


class Network:
    """Namespaces, pod classes and policies, indexed by namespace; built once, queried many times."""

    def __init__(
        self,
        policies: Iterable[Policy],
        pods: Iterable[PodEndpoint] = (),
        namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._policies: dict[str, list[Policy]] = {}
        for pol in policies:
            self._policies.setdefault(pol.namespace, []).append(pol)
        self._pods: dict[str, list[PodEndpoint]] = {}
        for pod in pods:
            self._pods.setdefault(pod.namespace, []).append(pod)
        self._ns_labels: dict[str, dict[str, str]] = {}
        for ns, labels in (namespace_labels or {}).items():
            self._ns_labels[ns] = {**labels, NAMESPACE_NAME_LABEL: ns}

    @classmethod
    def from_objects(cls, objects: Iterable[KObj]) -> Network:
        """From rendered objects: Namespaces, NetworkPolicies and workloads; the rest is ignored."""
        objs = list(objects)
        return cls(
            policies=[parse_policy(o) for o in objs if o.get("kind") == "NetworkPolicy"],
            pods=pod_classes(objs),
            namespace_labels={name_of(o): labels_of(o) for o in objs if o.get("kind") == "Namespace"},
        )

    def namespace_labels(self, namespace: str) -> Mapping[str, str]:
        """A namespace's labels; one without a Namespace object still has its name label."""
        labels = self._ns_labels.get(namespace)
        return labels if labels is not None else {NAMESPACE_NAME_LABEL: namespace}

    def policies(self, namespace: str | None = None) -> list[Policy]:
        if namespace is not None:
            return list(self._policies.get(namespace, ()))
        return [p for pols in self._policies.values() for p in pols]

    def pods(self, namespace: str | None = None, selector: Mapping[str, Any] | None = None) -> list[PodEndpoint]:
        """Pod classes, optionally in one namespace and matching a label selector dict."""
        sel = LabelSelector.parse(selector, "selector")
        pools = [self._pods.get(namespace, [])] if namespace is not None else list(self._pods.values())
        return [pod for pool in pools for pod in pool if sel.matches(pod.labels)]

    def allowed(self, src: Endpoint, dst: Endpoint, port: int | str, protocol: str = "TCP") -> Verdict:
        """Is a `protocol` connection from src to dst on `port` (a number, or a named port of dst)
        allowed? Raises BadInput for a bad protocol or a port name dst does not have."""
        protocol = protocol.upper()
        if protocol not in PROTOCOLS:
            raise BadInput(f"protocol {protocol!r} is not one of {sorted(PROTOCOLS)}", field="protocol")
        number = self._resolve_port(dst, port, protocol)
        egress = self._side(EGRESS, src, dst, number, protocol, dst)
        ingress = self._side(INGRESS, dst, src, number, protocol, dst)
        if egress.empty or ingress.empty:
            denied = [s.reason for s in (egress, ingress) if s.empty]
            return Verdict(False, "; ".join(denied))
        if egress.full and ingress.full:
            return Verdict(True, f"{egress.reason}; {ingress.reason}")
        partly = [s.reason for s in (egress, ingress) if not s.full]
        return Verdict(False, "; ".join(partly), partial=True)

    @staticmethod
    def _resolve_port(dst: Endpoint, port: int | str, protocol: str) -> int:
        if isinstance(port, int):
            if not 1 <= port <= 65535:
                raise BadInput(f"port {port} is outside 1-65535", field="port")
            return port
        number = dst.named_port(port, protocol) if isinstance(dst, PodEndpoint) else None
        if number is None:
            raise BadInput(f"{dst.describe()} has no {protocol} port named {port!r}", field="port")
        return number

    def _side(
        self, direction: str, subject: Endpoint, peer: Endpoint, port: int, protocol: str, dst: Endpoint
    ) -> _Side:
        """Evaluate one direction: `subject` is the pod whose policies apply, `peer` the other end."""
        word = direction.lower()
        if not isinstance(subject, PodEndpoint):
            return _Side(True, False, f"{word} open: {subject.describe()} is not a pod")
        selecting = [
            p
            for p in self._policies.get(subject.namespace, ())
            if direction in p.policy_types and p.pod_selector.matches(subject.labels)
        ]
        if not selecting:
            return _Side(True, False, f"{word} open: {subject.describe()} is not {word}-isolated")
        cover = _Coverage(peer.network())
        by: list[str] = []
        for pol in selecting:
            hit = False
            for rule in pol.rules(direction):
                if not rule.ports_match(port, protocol, dst):
                    continue
                # An absent or empty from/to list matches every peer, IP endpoints included.
                parts: list[bool | list[IPNetwork]] = (
                    [True]
                    if rule.peers is None
                    else [self._peer_part(p, pol.namespace, peer, cover.whole) for p in rule.peers]
                )
                for part in parts:
                    if part:
                        cover.add(part)
                        hit = True
            if hit:
                by.append(pol.name)
        names = ", ".join(p.name for p in selecting)
        head = f"{subject.describe()} is {word}-isolated by [{names}]"
        if cover.empty:
            return _Side(False, True, f"{word} denied: {head}, no rule matches")
        if not cover.full:
            allowing = ", ".join(by)
            return _Side(False, False, f"{word} partly allowed: {head}; [{allowing}] cover part of {peer.describe()}")
        return _Side(True, False, f"{word} allowed by [{', '.join(by)}]")

    def _peer_part(self, peer: Peer, policy_ns: str, ep: Endpoint, whole: IPNetwork | None) -> bool | list[IPNetwork]:
        """How much of endpoint `ep` one peer entry matches: all (True), none (False) or subnets."""
        if peer.ip_block is not None:
            return peer.ip_block.cover(whole) if whole is not None else False
        if not isinstance(ep, PodEndpoint):
            return False
        if peer.namespace_selector is None:
            if ep.namespace != policy_ns:
                return False
        elif not peer.namespace_selector.matches(self.namespace_labels(ep.namespace)):
            return False
        return peer.pod_selector is None or peer.pod_selector.matches(ep.labels)
