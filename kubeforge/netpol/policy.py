"""NetworkPolicy (networking.k8s.io/v1) parsed into immutable rules, with API defaulting applied.

Defaulting follows pkg/apis/networking/v1/defaults.go: an empty or absent `policyTypes` becomes
["Ingress"], plus "Egress" when the `egress` list is non-empty; a port's protocol defaults to TCP.
Objects the API server would reject (a peer with no selector, ipBlock mixed with selectors, endPort
with a named port or below port) raise BadInput rather than being guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubeforge.errors import BadInput
from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.netpol.endpoints import DEFAULT_NAMESPACE, PROTOCOLS, Endpoint, PodEndpoint
from kubeforge.netpol.ipblock import IPBlock, parse_network
from kubeforge.netpol.labels import LabelSelector

INGRESS = "Ingress"
EGRESS = "Egress"


@dataclass(frozen=True)
class Peer:
    """One `from`/`to` entry: selectors (AND-ed when both are set) or an ipBlock."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


@dataclass(frozen=True)
class PortRule:
    """One `ports` entry; `port` None means every port of the protocol."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None

    def matches(self, port: int, protocol: str, dst: Endpoint) -> bool:
        """Does traffic to `port`/`protocol` on `dst` match? Named ports resolve on the destination."""
        if protocol != self.protocol:
            return False
        if self.port is None:
            return True
        if isinstance(self.port, str):
            # Named ports always name a container port of the destination pod, even in egress rules.
            return isinstance(dst, PodEndpoint) and dst.named_port(self.port, self.protocol) == port
        if self.end_port is not None:
            return self.port <= port <= self.end_port
        return port == self.port


@dataclass(frozen=True)
class Rule:
    """An ingress or egress rule; `peers` None or `ports` empty means "any"."""

    peers: tuple[Peer, ...] | None = None
    ports: tuple[PortRule, ...] = ()

    def ports_match(self, port: int, protocol: str, dst: Endpoint) -> bool:
        return not self.ports or any(p.matches(port, protocol, dst) for p in self.ports)


@dataclass(frozen=True)
class Policy:
    name: str
    namespace: str
    pod_selector: LabelSelector
    policy_types: frozenset[str]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()

    def rules(self, direction: str) -> tuple[Rule, ...]:
        return self.ingress if direction == INGRESS else self.egress


def parse_policy(obj: KObj) -> Policy:
    """A NetworkPolicy object as a Policy; raises BadInput for what the API server would reject."""
    namespace = namespace_of(obj) or DEFAULT_NAMESPACE
    name = name_of(obj)
    where = f"NetworkPolicy {namespace}/{name}: spec"
    spec = obj.get("spec") or {}
    if not isinstance(spec, Mapping):
        raise BadInput("spec must be a mapping", field=where)
    ingress = tuple(_parse_rule(r, "from", f"{where}.ingress[{i}]") for i, r in enumerate(spec.get("ingress") or []))
    egress = tuple(_parse_rule(r, "to", f"{where}.egress[{i}]") for i, r in enumerate(spec.get("egress") or []))
    types = [str(t) for t in spec.get("policyTypes") or []]
    if not types:
        types = [INGRESS, EGRESS] if egress else [INGRESS]
    unknown = set(types) - {INGRESS, EGRESS}
    if unknown:
        raise BadInput(f"unknown policyTypes {sorted(unknown)}", field=f"{where}.policyTypes")
    return Policy(
        name=name,
        namespace=namespace,
        pod_selector=LabelSelector.parse(spec.get("podSelector"), f"{where}.podSelector"),
        policy_types=frozenset(types),
        ingress=ingress,
        egress=egress,
    )


def _parse_rule(raw: Any, peers_key: str, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise BadInput("a rule must be a mapping", field=where)
    raw_peers = raw.get(peers_key) or []
    peers = tuple(_parse_peer(p, f"{where}.{peers_key}[{i}]") for i, p in enumerate(raw_peers))
    ports = tuple(_parse_port(p, f"{where}.ports[{i}]") for i, p in enumerate(raw.get("ports") or []))
    # An absent or empty from/to list means every peer.
    return Rule(peers=peers or None, ports=ports)


def _parse_peer(raw: Any, where: str) -> Peer:
    if not isinstance(raw, Mapping):
        raise BadInput("a peer must be a mapping", field=where)
    has_selector = "podSelector" in raw or "namespaceSelector" in raw
    if "ipBlock" in raw:
        if has_selector:
            raise BadInput("ipBlock cannot be combined with podSelector/namespaceSelector", field=where)
        block = raw["ipBlock"] or {}
        if "cidr" not in block:
            raise BadInput("ipBlock needs a cidr", field=where)
        cidr = parse_network(block["cidr"], f"{where}.ipBlock.cidr")
        excepts = tuple(
            parse_network(e, f"{where}.ipBlock.except[{i}]") for i, e in enumerate(block.get("except") or [])
        )
        return Peer(ip_block=IPBlock(cidr, excepts))
    if not has_selector:
        raise BadInput("a peer needs podSelector, namespaceSelector or ipBlock", field=where)
    return Peer(
        pod_selector=LabelSelector.parse(raw["podSelector"], f"{where}.podSelector") if "podSelector" in raw else None,
        namespace_selector=LabelSelector.parse(raw["namespaceSelector"], f"{where}.namespaceSelector")
        if "namespaceSelector" in raw
        else None,
    )


def _parse_port(raw: Any, where: str) -> PortRule:
    if not isinstance(raw, Mapping):
        raise BadInput("a port entry must be a mapping", field=where)
    protocol = str(raw.get("protocol") or "TCP")
    if protocol not in PROTOCOLS:
        raise BadInput(f"protocol {protocol!r} is not one of {sorted(PROTOCOLS)}", field=where)
    port = raw.get("port")
    end_port = raw.get("endPort")
    if port is not None and not isinstance(port, int | str):
        raise BadInput("port must be a number or a port name", field=where)
    if end_port is not None:
        if not isinstance(port, int) or not isinstance(end_port, int):
            raise BadInput("endPort needs a numeric port and is a number itself", field=where)
        if end_port < port:
            raise BadInput(f"endPort {end_port} is below port {port}", field=where)
    return PortRule(protocol=protocol, port=port, end_port=end_port)
