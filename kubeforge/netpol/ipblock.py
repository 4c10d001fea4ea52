"""IP arithmetic for ipBlock peers: which part of an endpoint's address range a block lets through."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from kubeforge.errors import BadInput

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(text: str, where: str = "cidr") -> IPNetwork:
    """An address or CIDR, v4 or v6; host bits are masked off as Go's ParseCIDR does."""
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError as exc:
        raise BadInput(f"{text!r} is not an IP address or CIDR", field=where) from exc


def _intersect(a: IPNetwork, b: IPNetwork) -> IPNetwork | None:
    # Two CIDRs either nest or are disjoint, so the intersection is the smaller one or nothing.
    if a.version != b.version:
        return None
    if a.subnet_of(b):  # type: ignore[arg-type]  # same version checked above
        return a
    if b.subnet_of(a):  # type: ignore[arg-type]
        return b
    return None


@dataclass(frozen=True)
class IPBlock:
    """`ipBlock: {cidr, except}` parsed; excepts of the other IP family are kept and never match."""

    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def cover(self, whole: IPNetwork) -> list[IPNetwork]:
        """The subnets of `whole` this block matches (empty: none, `[whole]`: all of it)."""
        inside = _intersect(whole, self.cidr)
        if inside is None:
            return []
        parts: list[IPNetwork] = [inside]
        for hole in self.excepts:
            kept: list[IPNetwork] = []
            for part in parts:
                if hole.version != part.version:
                    kept.append(part)
                elif part.subnet_of(hole):  # type: ignore[arg-type]
                    continue
                elif hole.subnet_of(part):  # type: ignore[arg-type]
                    kept.extend(part.address_exclude(hole))  # type: ignore[arg-type]
                else:
                    kept.append(part)
            parts = kept
        return parts


def covers_all(whole: IPNetwork, parts: Iterable[IPNetwork]) -> bool:
    """True when the union of `parts` (all subnets of `whole`) is exactly `whole`."""
    merged = list(ipaddress.collapse_addresses(parts))  # type: ignore[type-var]
    return merged == [whole]
