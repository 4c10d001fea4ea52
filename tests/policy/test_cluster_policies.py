"""The cluster CrossGuard rules (policy/clusters.py) on the resources the mocked EKS, GKE and AKS programs register:
none fires on what stacks/clusters/ builds, and each fires, alone, on one planted violation.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from policy_pack import load_policy_module, policy_options
from pulumi_policy import (
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `stacks` is a top-level folder of the repository

from kubeforge.spec import load_spec  # noqa: E402
from stacks.mocked import ClusterRun, Registration, run_cluster_mocked, unwrap  # noqa: E402

clusters = load_policy_module("clusters.py")
ACCOUNT: dict[str, dict[str, Any]] = {
    "eks": {},
    "gke": {"cloud": {"project": "ml-platform-prod"}},
    "aks": {"cloud": {"subscription": "00000000-0000-0000-0000-000000000001"}},
}
_runs: dict[str, ClusterRun] = {}


def registrations(cloud: str) -> list[Registration]:
    if cloud not in _runs:
        _runs[cloud] = run_cluster_mocked(load_spec(cloud, extra=ACCOUNT[cloud]), stack=cloud)
    return copy.deepcopy(_runs[cloud].registrations)


def _opts(reg: Registration) -> PolicyResourceOptions:
    return policy_options(reg.parent)


def violations(regs: list[Registration]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    resources = [PolicyResource(r.type, unwrap(r.inputs), r.urn, r.name, _opts(r), None, None, [], {}) for r in regs]
    for policy in clusters.policies():

        def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
            found.append((name, message))

        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(resources, config={}), report)
        else:
            assert isinstance(policy, ResourceValidationPolicy)
            for r in regs:
                policy.validate(ResourceValidationArgs(r.type, unwrap(r.inputs), r.urn, r.name, _opts(r), None), report)
    return found


def planted(cloud: str, type_: str, mutate: Callable[[dict[str, Any]], None], which: int = -1) -> list[str]:
    regs = registrations(cloud)
    matching = [r for r in regs if r.type == type_]
    assert matching, f"{cloud} registers no {type_}"
    mutate(matching[which].inputs)
    return sorted({name for name, _ in violations(regs)})


@pytest.mark.parametrize("cloud", list(ACCOUNT))
def test_no_rule_fires_on_what_the_stack_builds(cloud: str) -> None:
    assert violations(registrations(cloud)) == []


def test_the_pack_has_the_documented_rules() -> None:
    assert [p.name for p in clusters.policies()] == [
        "kubeforge-cluster-public-endpoint",
        "kubeforge-cluster-logging",
        "kubeforge-cluster-encryption",
        "kubeforge-gpu-pool-taint",
        "kubeforge-node-pool-bounds",
        "kubeforge-aks-logging",
    ]


# --- public endpoint open to 0.0.0.0/0 --------------------------------------------------------------------
def _eks_public(cidrs: list[str] | None) -> Callable[[dict[str, Any]], None]:
    def mutate(props: dict[str, Any]) -> None:
        props["vpcConfig"]["endpointPublicAccess"] = True
        if cidrs is None:
            props["vpcConfig"].pop("publicAccessCidrs", None)
        else:
            props["vpcConfig"]["publicAccessCidrs"] = cidrs

    return mutate


@pytest.mark.parametrize("cidrs", [None, ["0.0.0.0/0"], ["203.0.113.0/24", "0.0.0.0/0"]])
def test_planted_eks_endpoint_open_to_the_world(cidrs: list[str] | None) -> None:
    assert planted("eks", clusters.EKS_CLUSTER, _eks_public(cidrs)) == ["kubeforge-cluster-public-endpoint"]


def test_an_eks_endpoint_public_to_named_cidrs_passes() -> None:
    assert planted("eks", clusters.EKS_CLUSTER, _eks_public(["203.0.113.0/24"])) == []


def test_planted_gke_public_endpoint_without_authorized_networks() -> None:
    def mutate(props: dict[str, Any]) -> None:
        props["privateClusterConfig"]["enablePrivateEndpoint"] = False
        props["masterAuthorizedNetworksConfig"]["cidrBlocks"] = [{"cidrBlock": "0.0.0.0/0"}]

    assert planted("gke", clusters.GKE_CLUSTER, mutate) == ["kubeforge-cluster-public-endpoint"]


def test_planted_aks_public_api_server() -> None:
    def mutate(props: dict[str, Any]) -> None:
        props["apiServerAccessProfile"] = {"enablePrivateCluster": False}

    assert planted("aks", clusters.AKS_CLUSTER, mutate) == ["kubeforge-cluster-public-endpoint"]


# --- logging off ------------------------------------------------------------------------------------------
def test_planted_eks_audit_log_off() -> None:
    def mutate(props: dict[str, Any]) -> None:
        props["enabledClusterLogTypes"] = [t for t in props["enabledClusterLogTypes"] if t != "audit"]

    assert planted("eks", clusters.EKS_CLUSTER, mutate) == ["kubeforge-cluster-logging"]


def test_planted_gke_control_plane_logs_off() -> None:
    def mutate(props: dict[str, Any]) -> None:
        props["loggingConfig"]["enableComponents"] = ["SYSTEM_COMPONENTS", "WORKLOADS"]

    assert planted("gke", clusters.GKE_CLUSTER, mutate) == ["kubeforge-cluster-logging"]


def test_planted_aks_without_its_diagnostic_setting() -> None:
    regs = [r for r in registrations("aks") if r.type != clusters.AKS_DIAGNOSTICS]
    found = violations(regs)
    assert [name for name, _ in found] == ["kubeforge-aks-logging"]
    assert "kube-audit" in found[0][1]


def test_planted_aks_audit_category_off() -> None:
    def mutate(props: dict[str, Any]) -> None:
        for log in props["logs"]:
            if log["category"] == "kube-audit":
                log["enabled"] = False

    assert planted("aks", clusters.AKS_DIAGNOSTICS, mutate) == ["kubeforge-aks-logging"]


# --- encryption off ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cloud", "type_", "field"),
    [
        ("eks", clusters.EKS_CLUSTER, "encryptionConfig"),
        ("gke", clusters.GKE_CLUSTER, "databaseEncryption"),
        ("aks", clusters.AKS_CLUSTER, "securityProfile"),
    ],
)
def test_planted_secrets_encryption_off(cloud: str, type_: str, field: str) -> None:
    assert planted(cloud, type_, lambda props: props.pop(field)) == ["kubeforge-cluster-encryption"]


# --- GPU pool without its taint -----------------------------------------------------------------------------
def _gpu_index(cloud: str, type_: str) -> int:
    regs = [r for r in registrations(cloud) if r.type == type_]
    return next(i for i, r in enumerate(regs) if "-gpu" in r.name)


def test_planted_eks_gpu_group_without_taint() -> None:
    index = _gpu_index("eks", clusters.EKS_NODE_GROUP)
    assert planted("eks", clusters.EKS_NODE_GROUP, lambda p: p.pop("taints"), index) == ["kubeforge-gpu-pool-taint"]


def test_planted_gke_gpu_pool_without_taint() -> None:
    index = _gpu_index("gke", clusters.GKE_NODE_POOL)

    def mutate(props: dict[str, Any]) -> None:
        props["nodeConfig"]["taints"] = []

    assert planted("gke", clusters.GKE_NODE_POOL, mutate, index) == ["kubeforge-gpu-pool-taint"]


def test_planted_aks_gpu_pool_with_the_wrong_effect() -> None:
    def mutate(props: dict[str, Any]) -> None:
        props["nodeTaints"] = ["nvidia.com/gpu=present:PreferNoSchedule"]

    assert planted("aks", clusters.AKS_AGENT_POOL, mutate) == ["kubeforge-gpu-pool-taint"]


def test_a_cpu_pool_needs_no_gpu_taint() -> None:
    regs = [r for r in registrations("eks") if r.type == clusters.EKS_NODE_GROUP]
    cpu = next(i for i, r in enumerate(regs) if "-cpu" in r.name)
    assert planted("eks", clusters.EKS_NODE_GROUP, lambda p: p.pop("taints", None), cpu) == []


# --- node pools without bounds ------------------------------------------------------------------------------
def test_planted_eks_group_without_max() -> None:
    assert planted("eks", clusters.EKS_NODE_GROUP, lambda p: p["scalingConfig"].pop("maxSize")) == [
        "kubeforge-node-pool-bounds"
    ]


def test_planted_gke_pool_without_autoscaling() -> None:
    assert planted("gke", clusters.GKE_NODE_POOL, lambda p: p.pop("autoscaling")) == ["kubeforge-node-pool-bounds"]


def test_planted_aks_system_pool_without_autoscaling() -> None:
    def mutate(props: dict[str, Any]) -> None:
        props["agentPoolProfiles"][0]["enableAutoScaling"] = False

    assert planted("aks", clusters.AKS_CLUSTER, mutate) == ["kubeforge-node-pool-bounds"]


def test_planted_pool_with_min_above_max() -> None:
    def mutate(props: dict[str, Any]) -> None:
        props["minCount"], props["maxCount"] = 5, 2

    assert planted("aks", clusters.AKS_AGENT_POOL, mutate) == ["kubeforge-node-pool-bounds"]


def test_the_pack_entry_point_serves_the_platform_and_the_cluster_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    import pulumi_policy

    served: dict[str, Any] = {}
    # PolicyPack() would start the analyzer's gRPC server and block: record what it is given instead.
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda name, policies: served.update(name=name, policies=policies))
    runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="__main__")
    names = [p.name for p in served["policies"]]
    assert served["name"] == "kubeforge"
    cluster_rules = [p.name for p in clusters.policies()]
    start = names.index(cluster_rules[0])
    assert names[start : start + len(cluster_rules)] == cluster_rules  # the managed-data rules follow them
    assert "kubeforge-field-manager" in names and "kubeforge-kf001" in names
