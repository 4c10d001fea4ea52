"""Time the NetworkPolicy evaluator on N isolated team namespaces.

Each team has default-deny, allow-same-namespace and allow-DNS policies and two workloads; two
flows are checked per team (intra-team allowed, team i -> team i+1 denied).

    .venv/bin/python benchmarks/netpol.py [--teams 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

from kubeforge.netpol import Flow, FlowSide, Network, check_flows


def _meta(name: str, ns: str) -> dict[str, Any]:
    return {"name": name, "namespace": ns}


def _deployment(name: str, ns: str, labels: dict[str, str], ports: list[dict[str, Any]]) -> dict[str, Any]:
    spec = {"containers": [{"name": "main", "ports": ports}]}
    return {
        "kind": "Deployment",
        "metadata": _meta(name, ns),
        "spec": {"template": {"metadata": {"labels": labels}, "spec": spec}},
    }


def _policy(name: str, ns: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(name, ns),
        "spec": spec,
    }


def team_objects(teams: int) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [
        {"kind": "Namespace", "metadata": {"name": "kube-system"}},
        _deployment("coredns", "kube-system", {"k8s-app": "kube-dns"}, [{"containerPort": 53, "protocol": "UDP"}]),
    ]
    dns_peer = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    for i in range(teams):
        ns = f"team-{i}"
        objects += [
            {"kind": "Namespace", "metadata": {"name": ns, "labels": {"tenant": "true"}}},
            _policy("default-deny", ns, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            _policy(
                "allow-same-namespace",
                ns,
                {
                    "podSelector": {},
                    "ingress": [{"from": [{"podSelector": {}}]}],
                    "egress": [{"to": [{"podSelector": {}}]}],
                },
            ),
            _policy(
                "allow-dns",
                ns,
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [dns_peer], "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}],
                },
            ),
            _deployment("web", ns, {"app": "web"}, [{"name": "http", "containerPort": 8080}]),
            _deployment("worker", ns, {"app": "worker"}, []),
        ]
    return objects


def team_flows(teams: int) -> list[Flow]:
    flows: list[Flow] = []
    for i in range(teams):
        ns, nxt = f"team-{i}", f"team-{(i + 1) % teams}"
        flows.append(Flow(f"{ns}-intra", FlowSide(ns, {"app": "worker"}), FlowSide(ns, {"app": "web"}), "http"))
        flows.append(Flow(f"{ns}-to-next", FlowSide(ns), FlowSide(nxt, {"app": "web"}), 8080, expect="deny"))
    return flows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    objects = team_objects(args.teams)
    flows = team_flows(args.teams)
    build_s: list[float] = []
    check_s: list[float] = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        net = Network.from_objects(objects)
        t1 = time.perf_counter()
        results = check_flows(net, flows)
        t2 = time.perf_counter()
        build_s.append(t1 - t0)
        check_s.append(t2 - t1)
        failed = [r.message for r in results if not r.passed]
        if failed:
            print(f"{len(failed)} flow(s) failed, first: {failed[0]}", file=sys.stderr)
            return 1
    build, check = statistics.median(build_s), statistics.median(check_s)
    print(
        f"netpol: {args.teams} teams, {len(objects)} objects, {len(flows)} flows: "
        f"build {build * 1000:.0f} ms + check {check * 1000:.0f} ms = {(build + check) * 1000:.0f} ms "
        f"(median of {args.repeat})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
