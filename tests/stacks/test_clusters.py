"""EKS, GKE and AKS under mocks: what the engine would be sent for each cluster, alone and under the platform.

Simulated: the clouds' answers (endpoint, CA, ids, availability zones, AKS credentials) come from
stacks/mocked.py's CLOUD_OUTPUTS and CLOUD_CALLS; there is no cloud account here. The resource inputs,
parents and dependencies are the program's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from registrations import closure, inputs, one

from kubeforge.errors import BadInput
from kubeforge.spec import PlatformSpec, load_spec
from stacks.clusters import wanted
from stacks.clusters.aks import vault_name
from stacks.clusters.gke import node_account_id
from stacks.config import StackConfig, read_config
from stacks.mocked import ClusterRun, MockedRun, run_cluster_mocked, run_mocked, unwrap
from stacks.program import Renderer

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT: dict[str, dict[str, Any]] = {
    "eks": {},
    "gke": {"cloud": {"project": "ml-platform-prod"}},
    "aks": {"cloud": {"subscription": "00000000-0000-0000-0000-000000000001"}},
}
CLOUDS = list(ACCOUNT)
NETWORK = {"eks": "aws:ec2/vpc:Vpc", "gke": "gcp:compute/network:Network", "aks": "azure-native:network:VirtualNetwork"}
CLUSTER = {
    "eks": "aws:eks/cluster:Cluster",
    "gke": "gcp:container/cluster:Cluster",
    "aks": "azure-native:containerservice:ManagedCluster",
}
POOL = {
    "eks": "aws:eks/nodeGroup:NodeGroup",
    "gke": "gcp:container/nodePool:NodePool",
    "aks": "azure-native:containerservice:AgentPool",
}
COMPONENT = {"eks": "kubeforge:cluster:Eks", "gke": "kubeforge:cluster:Gke", "aks": "kubeforge:cluster:Aks"}
K8S_PROVIDER = "pulumi:providers:kubernetes"
OPTIONAL = ("notebooks", "pipelines", "katib", "knative", "kserve", "model-registry", "volumes", "tensorboards")
OPTIONAL += ("pvc-viewer", "trainer", "spark")
GROUP = "kubernetes:yaml/v2:ConfigGroup"


def spec_for(cloud: str, **cloud_extra: Any) -> PlatformSpec:
    extra = {"cloud": {**ACCOUNT[cloud].get("cloud", {}), **cloud_extra}}
    return load_spec(cloud, extra=extra)


_runs: dict[str, ClusterRun] = {}


def cluster_run(cloud: str, **cloud_extra: Any) -> ClusterRun:
    key = f"{cloud}{sorted(cloud_extra.items())}"
    if key not in _runs:
        _runs[key] = run_cluster_mocked(spec_for(cloud, **cloud_extra), stack=cloud)
    return _runs[key]


# --- the graph: network -> cluster -> node pools -> provider ----------------------------------------------
@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_resource_is_a_child_of_the_cluster_component(cloud: str) -> None:
    run = cluster_run(cloud)
    component = one(run, COMPONENT[cloud])
    children = [r for r in run.registrations if r is not component]
    assert children
    assert {r.parent for r in children} == {component.urn}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_network_then_cluster_then_pools_then_provider(cloud: str) -> None:
    run = cluster_run(cloud)
    reach = closure(run.registrations)
    network, cluster, provider = one(run, NETWORK[cloud]), one(run, CLUSTER[cloud]), one(run, K8S_PROVIDER)
    pools = run.of_type(POOL[cloud])
    assert pools
    assert network.urn in reach[cluster.urn]
    for pool in pools:
        assert cluster.urn in reach[pool.urn]
        assert pool.urn in reach[provider.urn], "the platform's provider waits for every node pool"
    assert cluster.urn not in {d for p in pools for d in reach[network.urn]}  # no cycle back to the network


@pytest.mark.parametrize("cloud", CLOUDS)
def test_cloud_resources_use_the_spec_s_region_through_the_component_s_provider(cloud: str) -> None:
    run = cluster_run(cloud)
    provider = one(run, f"pulumi:providers:{ {'eks': 'aws', 'gke': 'gcp', 'aks': 'azure-native'}[cloud] }")
    props = inputs(provider)
    expected = {"eks": {"region": "us-east-1"}, "gke": {"project": "ml-platform-prod", "region": "europe-west4"}}
    expected["aks"] = {"subscriptionId": "00000000-0000-0000-0000-000000000001", "location": "westeurope"}
    assert {k: props.get(k) for k in expected[cloud]} == expected[cloud]
    cloud_prefix = {"eks": "aws:", "gke": "gcp:", "aks": "azure-native:"}[cloud]
    for reg in run.registrations:
        if reg.custom and reg.type.startswith(cloud_prefix):
            assert reg.provider.startswith(provider.urn), f"{reg.name} is not created through the spec's provider"


# --- the GPU pool ----------------------------------------------------------------------------------------
def test_eks_gpu_pool_shape() -> None:
    run = cluster_run("eks")
    pools = {inputs(r)["labels"]["kubeforge.io/pool"]: inputs(r) for r in run.of_type(POOL["eks"])}
    gpu = pools["gpu"]
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert gpu["labels"]["nvidia.com/gpu.present"] == "true"
    assert gpu["scalingConfig"] == {"minSize": 0, "maxSize": 2, "desiredSize": 0}
    assert gpu["amiType"] == "AL2023_x86_64_NVIDIA"  # driver and container toolkit in the image
    assert gpu["instanceTypes"] == ["g6.xlarge"]
    assert "taints" not in pools["cpu"] or not pools["cpu"]["taints"]
    assert pools["cpu"]["scalingConfig"] == {"minSize": 2, "maxSize": 6, "desiredSize": 2}


def test_gke_gpu_pool_shape() -> None:
    run = cluster_run("gke")
    pools = {inputs(r)["nodeConfig"]["labels"]["kubeforge.io/pool"]: inputs(r) for r in run.of_type(POOL["gke"])}
    gpu = pools["gpu"]
    node = gpu["nodeConfig"]
    assert node["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert node["labels"]["nvidia.com/gpu.present"] == "true"
    assert node["guestAccelerators"] == [
        {"type": "nvidia-l4", "count": 1, "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}}
    ]
    assert gpu["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 2, "locationPolicy": "ANY"}
    assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}  # workload identity on the nodes


def test_aks_gpu_pool_shape() -> None:
    run = cluster_run("aks")
    gpu = inputs(one(run, POOL["aks"]))
    assert gpu["nodeTaints"] == ["nvidia.com/gpu=present:NoSchedule"]
    assert gpu["nodeLabels"]["nvidia.com/gpu.present"] == "true"
    assert (gpu["enableAutoScaling"], gpu["minCount"], gpu["maxCount"]) == (True, 0, 2)
    assert gpu["gpuProfile"] == {"driver": "Install"}
    assert gpu["vmSize"] == "Standard_NC4as_T4_v3"
    system = inputs(one(run, CLUSTER["aks"]))["agentPoolProfiles"]
    assert [(p["mode"], p["minCount"], p["maxCount"], p.get("nodeTaints")) for p in system] == [("System", 2, 6, None)]


@pytest.mark.parametrize("cloud", CLOUDS)
def test_no_gpu_pool_without_gpus(cloud: str) -> None:
    # No team may keep a GPU quota once GPUs are off (refused in spec loading): the profile's team and its group go too.
    spec = load_spec(
        cloud, extra={**ACCOUNT[cloud], "gpu": {"enabled": False}, "teams": [], "identity": {"groups": []}}
    )
    run = run_cluster_mocked(spec, stack=cloud)
    assert len(run.of_type(POOL[cloud])) == (0 if cloud == "aks" else 1)


def test_gke_refuses_a_gpu_pool_machine_without_a_gpu() -> None:
    with pytest.raises(BadInput, match=r"^cloud.gpu_pool.machine_type: 'n2-standard-8' is not a GPU machine"):
        run_cluster_mocked(spec_for("gke", gpu_pool={"machine_type": "n2-standard-8"}), stack="gke")


# --- endpoint, encryption, logging, identity -------------------------------------------------------------
def endpoint(run: ClusterRun, cloud: str) -> tuple[bool, list[str]]:
    props = inputs(one(run, CLUSTER[cloud]))
    if cloud == "eks":
        vpc = props["vpcConfig"]
        assert vpc["endpointPrivateAccess"] is True
        return vpc["endpointPublicAccess"], vpc.get("publicAccessCidrs") or []
    if cloud == "gke":
        blocks = props["masterAuthorizedNetworksConfig"].get("cidrBlocks") or []
        assert props["privateClusterConfig"]["enablePrivateNodes"] is True
        return not props["privateClusterConfig"]["enablePrivateEndpoint"], [b["cidrBlock"] for b in blocks]
    access = props["apiServerAccessProfile"]
    return not access["enablePrivateCluster"], access.get("authorizedIPRanges") or []


@pytest.mark.parametrize("cloud", CLOUDS)
def test_api_endpoint_is_private_unless_asked(cloud: str) -> None:
    assert endpoint(cluster_run(cloud), cloud) == (False, [])


@pytest.mark.parametrize("cloud", CLOUDS)
def test_a_public_endpoint_is_open_only_to_the_named_cidrs(cloud: str) -> None:
    run = cluster_run(cloud, endpoint={"public": True, "public_cidrs": ["203.0.113.0/24"]})
    assert endpoint(run, cloud) == (True, ["203.0.113.0/24"])


def test_eks_encryption_logging_and_identity() -> None:
    run = cluster_run("eks")
    props = inputs(one(run, CLUSTER["eks"]))
    key = one(run, "aws:kms/key:Key")
    assert props["encryptionConfig"]["resources"] == ["secrets"]
    assert props["encryptionConfig"]["provider"]["keyArn"] == "arn:aws:kms:us-east-1:000000000000:key/fake"
    assert key.urn in one(run, CLUSTER["eks"]).dependencies
    assert inputs(key)["enableKeyRotation"] is True
    assert set(props["enabledClusterLogTypes"]) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    addons = {inputs(r)["addonName"]: inputs(r) for r in run.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "eks-pod-identity-agent", "aws-ebs-csi-driver"}
    assert '"enableNetworkPolicy": "true"' in addons["vpc-cni"]["configurationValues"]
    assert addons["aws-ebs-csi-driver"]["podIdentityAssociations"][0]["serviceAccount"] == "ebs-csi-controller-sa"
    private = sorted(f"{r.name}-id" for r in run.of_type("aws:ec2/subnet:Subnet") if "-private-" in r.name)
    assert len(private) == 2
    for group in run.of_type(POOL["eks"]):
        assert sorted(inputs(group)["subnetIds"]) == private, "nodes only in the private subnets"
    assert sorted(inputs(one(run, CLUSTER["eks"]))["vpcConfig"]["subnetIds"]) == private


def test_eks_default_storage_class_through_the_cluster_s_provider() -> None:
    run = cluster_run("eks")
    sc = one(run, "kubernetes:storage.k8s.io/v1:StorageClass")
    props = inputs(sc)
    assert props["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert (props["provisioner"], props["parameters"]["encrypted"]) == ("ebs.csi.aws.com", "true")
    assert sc.provider.startswith(one(run, K8S_PROVIDER).urn)


def test_gke_encryption_logging_and_identity() -> None:
    run = cluster_run("gke")
    props = inputs(one(run, CLUSTER["gke"]))
    assert props["databaseEncryption"] == {
        "state": "ENCRYPTED",
        "keyName": f"{one(run, 'gcp:kms/cryptoKey:CryptoKey').name}-id",
    }
    assert {"APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"} <= set(props["loggingConfig"]["enableComponents"])
    assert props["workloadIdentityConfig"] == {"workloadPool": "ml-platform-prod.svc.id.goog"}
    assert props["datapathProvider"] == "ADVANCED_DATAPATH"
    assert props["removeDefaultNodePool"] is True
    grant = inputs(one(run, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"))
    assert grant["member"] == "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"


def test_aks_encryption_logging_and_identity() -> None:
    run = cluster_run("aks")
    cluster = one(run, CLUSTER["aks"])
    props = inputs(cluster)
    kms = props["securityProfile"]["azureKeyVaultKms"]
    assert (kms["enabled"], kms["keyId"]) == (True, "https://fake.vault.azure.net/keys/etcd-secrets/1")
    assert props["securityProfile"]["workloadIdentity"] == {"enabled": True}
    assert props["oidcIssuerProfile"] == {"enabled": True}
    assert props["disableLocalAccounts"] is True
    assert props["networkProfile"]["networkPolicy"] == "cilium"
    diag = one(run, "azure-native:monitor:DiagnosticSetting")
    logs = {log["category"] for log in inputs(diag)["logs"] if log["enabled"]}
    assert {"kube-audit", "kube-apiserver", "kube-controller-manager", "kube-scheduler"} <= logs
    assert inputs(diag)["resourceUri"] == f"{cluster.name}-id"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_kubeconfig_runs_the_cloud_s_credential_plugin(cloud: str) -> None:
    run = cluster_run(cloud)
    if cloud == "aks":
        # AKS's own exec kubeconfig (kubelogin), decoded from the simulated listClusterUserCredential answer.
        assert yaml.safe_load(run.kubeconfig)["kind"] == "Config"
        return
    doc = yaml.safe_load(run.kubeconfig)
    user = doc["users"][0]["user"]
    assert "token" not in user and "client-key-data" not in user
    assert user["exec"]["command"] == {"eks": "aws", "gke": "gke-gcloud-auth-plugin"}[cloud]
    if cloud == "eks":
        assert user["exec"]["args"] == [
            "eks",
            "get-token",
            "--cluster-name",
            "kubeforge-kubeflow",
            "--region",
            "us-east-1",
        ]
    provider = inputs(one(run, K8S_PROVIDER))
    assert provider["kubeconfig"] == run.kubeconfig


# --- the platform on top, in the same stack -------------------------------------------------------------
@pytest.fixture(scope="module", params=CLOUDS)
def platform_run(request: pytest.FixtureRequest, renderer: Renderer) -> tuple[str, MockedRun]:
    cloud: str = request.param
    # The optional components are off: what is checked here is the wiring, and a full render costs ~10 s.
    slim = {"components": {c: {"enabled": False} for c in OPTIONAL}}
    return cloud, run_mocked(StackConfig(cloud, {**ACCOUNT[cloud], **slim}, cluster=cloud), renderer, stack=cloud)


def test_the_platform_is_applied_through_the_cluster_s_provider(platform_run: tuple[str, MockedRun]) -> None:
    cloud, run = platform_run
    component = one(run, COMPONENT[cloud])
    providers = run.of_type(K8S_PROVIDER)
    assert [p.parent for p in providers] == [component.urn], "one kubernetes provider: the cluster's"
    provider = providers[0]
    groups = run.of_type(GROUP)
    assert groups
    for group in groups:
        assert group.provider.startswith(provider.urn), f"{group.name} bypasses the cluster's provider"
    reach = closure(run.registrations)
    pools = run.of_type(POOL[cloud])
    for pool in pools:
        assert pool.urn in reach[provider.urn]
    assert run.exports["cluster"] == cloud
    assert run.exports["kubeconfig"]["value"] == unwrap(run.exports["kubeconfig"])


def test_cloud_ingress_is_a_load_balancer(platform_run: tuple[str, MockedRun]) -> None:
    cloud, run = platform_run
    services = [
        o
        for g in run.of_type(GROUP)
        for o in g.inputs["objs"]
        if o["kind"] == "Service" and o["metadata"]["name"] == "istio-ingressgateway"
    ]
    assert len(services) == 1
    assert services[0]["spec"]["type"] == "LoadBalancer"
    assert not any("nodePort" in p for p in services[0]["spec"]["ports"])
    annotations = services[0]["metadata"].get("annotations") or {}
    assert (annotations.get("service.beta.kubernetes.io/aws-load-balancer-type") == "nlb") == (cloud == "eks")


def test_the_stack_cluster_must_match_the_spec() -> None:
    spec = spec_for("eks")
    with pytest.raises(
        BadInput, match=r"^kubeforge:cluster: the stack creates gke but the spec's cloud.provider is 'eks'"
    ):
        wanted("gke", spec)
    with pytest.raises(BadInput, match=r"^kubeforge:cluster: expected one of eks, gke, aks or none, got 'openstack'"):
        wanted("openstack", spec)
    assert wanted("none", spec) is None and wanted(None, spec) is None and wanted("eks", spec) == "eks"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_example_stack_files_load_and_name_their_cluster(cloud: str) -> None:
    config = yaml.safe_load((ROOT / f"Pulumi.{cloud}.yaml").read_text(encoding="utf-8"))["config"]
    cfg = read_config(lambda key: config.get(f"kubeforge:{key}"), lambda key: config.get(f"kubeforge:{key}"))
    spec = load_spec(cfg.profile, extra=cfg.spec)
    assert wanted(cfg.cluster, spec) == cloud
    assert not spec.cloud.endpoint.public


def test_cloud_names_fit_their_limits() -> None:
    long = "a" * 40 + "-b"
    assert len(node_account_id(long)) <= 30 and not node_account_id(long).startswith("-")
    assert node_account_id("ml") == "kf-ml-nodes"
    name = vault_name(long, "00000000-0000-0000-0000-000000000001")
    assert 3 <= len(name) <= 24 and name.isalnum()
    assert vault_name("kubeflow", "sub-a") != vault_name("kubeflow", "sub-b"), "global names differ per subscription"
    # GKE: a regional pool's initial count is per zone, so at most one node per zone at creation.
    run = cluster_run("gke")
    assert sorted(inputs(r)["initialNodeCount"] for r in run.of_type(POOL["gke"])) == [0, 1]
