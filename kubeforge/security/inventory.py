"""What the rendered objects say about the network: workloads, Services and their backends, webhooks,
gateway routes, and which service accounts hold API permissions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kubeforge.k8s import KObj, labels_of, name_of, namespace_of, pod_spec, pod_template_labels, selects
from kubeforge.security.operated import operated_workloads


@dataclass(frozen=True)
class Workload:
    namespace: str
    name: str
    labels: dict[str, str] = field(hash=False)
    ports: dict[str, int] = field(hash=False)  # named container ports
    service_account: str
    host_network: bool = False  # its pods have the node's address: NetworkPolicies see node IPs


@dataclass(frozen=True)
class Backend:
    """The pods behind a Service port: their namespace, the Service's selector, the container port."""

    namespace: str
    pods: dict[str, str] = field(hash=False)
    port: int


class Inventory:
    def __init__(self, objects: Iterable[KObj]) -> None:
        self.objects = list(objects)
        self.namespaces = {name_of(o): labels_of(o) for o in self.objects if o.get("kind") == "Namespace"}
        self.services: dict[tuple[str, str], KObj] = {}
        self.workloads: dict[str, list[Workload]] = {}
        for o in [*self.objects, *operated_workloads(self.objects)]:
            ns = namespace_of(o) or "default"
            if o.get("kind") == "Service":
                self.services[(ns, name_of(o))] = o
            spec = pod_spec(o)
            if spec is not None:
                ports = {
                    str(p["name"]): int(p["containerPort"])
                    for c in spec.get("containers") or []
                    for p in c.get("ports") or []
                    if p.get("name") and "containerPort" in p
                }
                sa = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
                wl = Workload(ns, name_of(o), pod_template_labels(o), ports, sa, bool(spec.get("hostNetwork")))
                self.workloads.setdefault(ns, []).append(wl)

    def pods(self, namespace: str, selector: dict[str, str] | None = None) -> list[Workload]:
        return [w for w in self.workloads.get(namespace, []) if selects(selector or {}, w.labels)]

    def backend(self, namespace: str, service: str, port: int | None = None) -> Backend | None:
        """The pods and container port behind `service`:`port` (None: its only port), or None."""
        svc = self.services.get((namespace, service))
        if svc is None:
            return None
        spec = svc.get("spec") or {}
        selector = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
        ports = spec.get("ports") or []
        chosen = [p for p in ports if port is None or p.get("port") == port]
        if not chosen or not selector:
            return None
        target = chosen[0].get("targetPort", chosen[0].get("port"))
        if isinstance(target, str):
            named = [w.ports[target] for w in self.pods(namespace, selector) if target in w.ports]
            if not named:
                return None
            target = named[0]
        return Backend(namespace, selector, int(target))

    def service_backends(self, namespace: str) -> list[Backend]:
        out = []
        for (ns, name), svc in sorted(self.services.items()):
            if ns != namespace:
                continue
            for p in (svc.get("spec") or {}).get("ports") or []:
                b = self.backend(ns, name, p.get("port"))
                if b is not None:
                    out.append(b)
        return out

    def webhook_services(self) -> list[tuple[str, str, int]]:
        """(namespace, service, port) of every webhook the API server calls: admission, CRD conversion, APIService."""
        refs: set[tuple[str, str, int]] = set()
        for o in self.objects:
            kind = o.get("kind")
            configs: list[dict[str, object]] = []
            if kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
                configs = [w.get("clientConfig") or {} for w in o.get("webhooks") or []]
            elif kind == "CustomResourceDefinition":
                conv = ((o.get("spec") or {}).get("conversion") or {}).get("webhook") or {}
                configs = [conv.get("clientConfig") or {}]
            elif kind == "APIService":
                configs = [{"service": (o.get("spec") or {}).get("service")}]
            for cc in configs:
                svc = cc.get("service")
                if isinstance(svc, dict) and svc.get("name"):
                    refs.add((str(svc.get("namespace") or "default"), str(svc["name"]), int(svc.get("port") or 443)))
        return sorted(refs)

    def gateway_routes(self, gateway: str = "kubeflow-gateway") -> list[tuple[str, str, int | None]]:
        """(namespace, service, port) every VirtualService bound to `gateway` routes to."""
        out: set[tuple[str, str, int | None]] = set()
        for o in self.objects:
            if o.get("kind") != "VirtualService":
                continue
            spec = o.get("spec") or {}
            if not any(str(g).split("/")[-1] == gateway for g in spec.get("gateways") or []):
                continue
            vs_ns = namespace_of(o) or "default"
            for route in [r for h in spec.get("http") or [] for r in h.get("route") or []]:
                dest = route.get("destination") or {}
                parts = str(dest.get("host", "")).split(".")
                ns = parts[1] if len(parts) > 1 else vs_ns
                port = (dest.get("port") or {}).get("number")
                out.add((ns, parts[0], int(port) if port else None))
        return sorted(out, key=lambda t: (t[0], t[1], t[2] or 0))

    def api_clients(self) -> list[Workload]:
        """Workloads whose service account some RoleBinding or ClusterRoleBinding grants permissions."""
        bound: set[tuple[str, str]] = set()
        for o in self.objects:
            if o.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
                continue
            for s in o.get("subjects") or []:
                if s.get("kind") == "ServiceAccount":
                    bound.add((str(s.get("namespace") or namespace_of(o) or "default"), str(s.get("name"))))
        return [w for ns in sorted(self.workloads) for w in self.workloads[ns] if (ns, w.service_account) in bound]
