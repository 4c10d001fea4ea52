"""Expected flows ("team-a web may reach team-b api on 8080", "nothing reaches the DB from outside")
checked against a Network.

A side is either pods (`namespace` and/or `podLabels`; every matching pod class is checked) or an
address (`ip`, which may be a CIDR). A pod side that matches no pod class fails the flow: an
expectation about nothing is a typo, not a pass. With several pod classes per side, "allow" needs
every pair allowed and "deny" needs every pair denied (a partly allowed CIDR fails both).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kubeforge.errors import BadInput
from kubeforge.netpol.endpoints import Endpoint, IPEndpoint
from kubeforge.netpol.network import Network, Verdict

Expect = Literal["allow", "deny"]


@dataclass(frozen=True)
class FlowSide:
    """Pods by namespace and labels (None: any), or one IP/CIDR; never both."""

    namespace: str | None = None
    pod_labels: Mapping[str, str] | None = field(default=None, hash=False)
    ip: str | None = None

    def __post_init__(self) -> None:
        is_pod = self.namespace is not None or self.pod_labels is not None
        if is_pod == (self.ip is not None):
            raise BadInput("a flow side is either {namespace, podLabels} or {ip/cidr}", field="flow side")

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "flow side") -> FlowSide:
        known = {"namespace", "podLabels", "ip", "cidr"}
        extra = set(raw) - known
        if extra:
            raise BadInput(f"unknown keys {sorted(extra)}; expected some of {sorted(known)}", field=where)
        labels = raw.get("podLabels")
        if labels is not None and not isinstance(labels, Mapping):
            raise BadInput("podLabels must be a mapping", field=where)
        ip = raw.get("ip", raw.get("cidr"))
        try:
            return cls(
                namespace=str(raw["namespace"]) if raw.get("namespace") is not None else None,
                pod_labels={str(k): str(v) for k, v in labels.items()} if labels is not None else None,
                ip=str(ip) if ip is not None else None,
            )
        except BadInput as exc:
            raise BadInput(str(exc), field=where) from exc

    def describe(self) -> str:
        if self.ip is not None:
            return self.ip
        labels = ",".join(f"{k}={v}" for k, v in sorted((self.pod_labels or {}).items()))
        return f"namespace={self.namespace or '*'} podLabels={{{labels}}}"

    def endpoints(self, network: Network) -> list[Endpoint]:
        if self.ip is not None:
            return [IPEndpoint(self.ip)]
        selector = {"matchLabels": dict(self.pod_labels)} if self.pod_labels else None
        return list(network.pods(self.namespace, selector))


@dataclass(frozen=True)
class Flow:
    name: str
    src: FlowSide
    dst: FlowSide
    port: int | str
    expect: Expect = "allow"
    protocol: str = "TCP"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Flow:
        """From `{name, src, dst, port, protocol?, expect?}` as a spec file would hold it."""
        name = str(raw.get("name", ""))
        where = f"flow {name or '?'}"
        for key in ("src", "dst", "port"):
            if key not in raw:
                raise BadInput(f"missing {key}", field=where)
        expect = raw.get("expect", "allow")
        if expect not in ("allow", "deny"):
            raise BadInput(f"expect must be allow or deny, not {expect!r}", field=where)
        port = raw["port"]
        if not isinstance(port, int | str):
            raise BadInput("port must be a number or a port name", field=where)
        return cls(
            name=name,
            src=FlowSide.from_dict(raw["src"], f"{where}.src"),
            dst=FlowSide.from_dict(raw["dst"], f"{where}.dst"),
            port=port,
            expect=expect,
            protocol=str(raw.get("protocol", "TCP")),
        )


@dataclass(frozen=True)
class FlowResult:
    flow: Flow
    passed: bool
    message: str
    verdicts: tuple[tuple[str, str, Verdict], ...] = ()  # (src, dst, verdict) per pair checked


def check_flow(network: Network, flow: Flow) -> FlowResult:
    srcs = flow.src.endpoints(network)
    dsts = flow.dst.endpoints(network)
    missing = [
        f"{side} {s.describe()}" for side, s, eps in (("src", flow.src, srcs), ("dst", flow.dst, dsts)) if not eps
    ]
    if missing:
        return FlowResult(flow, False, f"no pod matches {' and '.join(missing)}")
    verdicts: list[tuple[str, str, Verdict]] = []
    try:
        for src in srcs:
            for dst in dsts:
                verdicts.append((src.describe(), dst.describe(), network.allowed(src, dst, flow.port, flow.protocol)))
    except BadInput as exc:
        return FlowResult(flow, False, str(exc), tuple(verdicts))
    want = flow.expect == "allow"
    wrong = [(s, d, v) for s, d, v in verdicts if v.allowed != want or v.partial]
    if not wrong:
        return FlowResult(flow, True, f"{flow.expect}: {len(verdicts)} pair(s) as expected", tuple(verdicts))
    s, d, v = wrong[0]
    got = "partly allowed" if v.partial else ("allowed" if v.allowed else "denied")
    more = f" (and {len(wrong) - 1} more pair(s))" if len(wrong) > 1 else ""
    return FlowResult(flow, False, f"expected {flow.expect}, {s} -> {d} {got}: {v.reason}{more}", tuple(verdicts))


def check_flows(network: Network, flows: Iterable[Flow]) -> list[FlowResult]:
    return [check_flow(network, f) for f in flows]
