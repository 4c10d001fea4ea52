"""Connection endpoints: pod classes derived from workload templates, and IP/CIDR endpoints.

A *pod class* stands for every replica of one workload template: same namespace, same labels,
same container ports. Pod IPs are ephemeral and unknown to a static check, so a pod class has
no IP unless the caller gives one; `ipBlock` peers only ever match endpoints that carry an IP
(see `kubeforge.netpol.network`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubeforge.k8s import KObj, name_of, namespace_of, pod_spec, pod_template_labels
from kubeforge.netpol.ipblock import IPNetwork, parse_network

DEFAULT_NAMESPACE = "default"
PROTOCOLS = frozenset({"TCP", "UDP", "SCTP"})


@dataclass(frozen=True)
class NamedPort:
    """A container port; `name` is empty for unnamed ports."""

    name: str
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class PodEndpoint:
    """A pod (class): namespace, labels, container ports, optionally a known IP."""

    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict, hash=False)
    ports: tuple[NamedPort, ...] = ()
    name: str = ""
    ip: str | None = None

    def named_port(self, name: str, protocol: str) -> int | None:
        """The number behind a named container port of this protocol, or None."""
        for p in self.ports:
            if p.name == name and p.protocol == protocol:
                return p.port
        return None

    def network(self) -> IPNetwork | None:
        return parse_network(self.ip, "PodEndpoint.ip") if self.ip else None

    def describe(self) -> str:
        if self.name:
            return f"{self.namespace}/{self.name}"
        shown = ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return f"{self.namespace}/pod{{{shown}}}"


@dataclass(frozen=True)
class IPEndpoint:
    """Anything addressed by IP: external hosts, the API server, nodes. `ip` may be a CIDR,
    which stands for every address in it."""

    ip: str
    name: str = ""

    def network(self) -> IPNetwork:
        return parse_network(self.ip, "IPEndpoint.ip")

    def describe(self) -> str:
        return f"{self.name} ({self.ip})" if self.name else self.ip


Endpoint = PodEndpoint | IPEndpoint


def _container_ports(spec: Mapping[str, Any]) -> tuple[NamedPort, ...]:
    ports: list[NamedPort] = []
    # Native sidecars (initContainers with restartPolicy: Always) keep running and serve on their ports.
    sidecars = [c for c in spec.get("initContainers") or [] if (c or {}).get("restartPolicy") == "Always"]
    for container in [*(spec.get("containers") or []), *sidecars]:
        for p in (container or {}).get("ports") or []:
            if "containerPort" not in p:
                continue
            ports.append(NamedPort(str(p.get("name") or ""), int(p["containerPort"]), str(p.get("protocol") or "TCP")))
    return tuple(ports)


def pod_class(obj: KObj) -> PodEndpoint | None:
    """The pod class of a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
    Pod), or None for objects without a pod template."""
    spec = pod_spec(obj)
    if spec is None:
        return None
    return PodEndpoint(
        namespace=namespace_of(obj) or DEFAULT_NAMESPACE,
        labels={str(k): str(v) for k, v in pod_template_labels(obj).items()},
        ports=_container_ports(spec),
        name=f"{obj.get('kind')}/{name_of(obj)}",
    )


def pod_classes(objects: Iterable[KObj]) -> list[PodEndpoint]:
    return [pod for pod in (pod_class(obj) for obj in objects) if pod is not None]
