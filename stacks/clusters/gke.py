"""GKE Standard: VPC with a private subnet and Cloud NAT, private nodes and (unless asked) a private endpoint,
control-plane logging, Cloud KMS application-layer secrets encryption, Dataplane V2 (NetworkPolicy
enforced), Workload Identity, a CPU and a GPU node pool with GKE's driver installation.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from kubeforge.errors import BadInput
from kubeforge.spec.model import PlatformSpec
from stacks.clusters.base import CloudCluster
from stacks.clusters.shape import (
    GKE_LOG_COMPONENTS,
    PoolShape,
    exec_kubeconfig,
    pools,
    prefix,
    public_cidrs,
    subnet_cidrs,
)

MASTER_CIDR = "172.16.0.0/28"  # the control plane's peered range: outside every subnet below
PODS_CIDR = "10.128.0.0/14"
SERVICES_CIDR = "10.132.0.0/20"
KEY_ROTATION = "7776000s"  # 90 days
NODE_ROLES = ("roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/artifactregistry.reader")
# GKE's accelerator for each GPU machine family (the family fixes the GPU model).
ACCELERATORS = {"g2": "nvidia-l4", "a2": "nvidia-tesla-a100", "a3": "nvidia-h100-80gb", "g4": "nvidia-rtx-pro-6000"}
TAINT_EFFECT = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}


def accelerator(machine_type: str) -> str:
    family = machine_type.split("-", 1)[0]
    if family not in ACCELERATORS:
        known = ", ".join(f"{f}-*" for f in sorted(ACCELERATORS))
        raise BadInput(f"{machine_type!r} is not a GPU machine family ({known})", field="cloud.gpu_pool.machine_type")
    return ACCELERATORS[family]


def node_account_id(cluster: str) -> str:
    """A service account id: 6-30 characters, a letter first, no hyphen last."""
    return f"kf-{cluster}"[:24].rstrip("-") + "-nodes"


class GkeCluster(CloudCluster):
    kind = "Gke"

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, spec, opts)
        base = prefix(spec)
        self.project = str(spec.cloud.project)
        self.region = str(spec.cloud.region)
        self._network(base, spec)
        self._control_plane(base, spec)
        node_pools = [self._node_pool(base, pool) for pool in pools(spec)]
        kubeconfig = pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.master_auth.cluster_ca_certificate
        ).apply(
            lambda a: exec_kubeconfig(
                f"gke_{self.project}_{self.region}_{a[0]}",
                f"https://{a[1]}",
                a[2],
                "gke-gcloud-auth-plugin",
                [],
            )
        )
        # GKE installs standard-rwo (pd-balanced, CSI) as the default class: no second default here.
        self.connect(kubeconfig, node_pools)
        self.finish(
            "standard-rwo",
            {"clusterName": self.cluster.name, "endpoint": self.cluster.endpoint, "network": self.network.id},
        )

    def make_cloud_provider(self) -> pulumi.ProviderResource:
        provider: pulumi.ProviderResource = gcp.Provider(
            "gcp",
            project=self.spec.cloud.project,
            region=self.spec.cloud.region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return provider

    def _network(self, base: str, spec: PlatformSpec) -> None:
        self.network = gcp.compute.Network(base, auto_create_subnetworks=False, opts=self.child())
        self.subnet = gcp.compute.Subnetwork(
            f"{base}-nodes",
            network=self.network.id,
            region=self.region,
            ip_cidr_range=subnet_cidrs(spec.cloud.network_cidr, 1)[0],
            private_ip_google_access=True,  # private nodes reach Google APIs without public addresses
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name="pods", ip_cidr_range=PODS_CIDR),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name="services", ip_cidr_range=SERVICES_CIDR),
            ],
            opts=self.child(),
        )
        router = gcp.compute.Router(f"{base}-router", network=self.network.id, region=self.region, opts=self.child())
        self.nat = gcp.compute.RouterNat(
            f"{base}-nat",
            router=router.name,
            region=self.region,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
            opts=self.child(),
        )

    def _control_plane(self, base: str, spec: PlatformSpec) -> None:
        ring = gcp.kms.KeyRing(f"{base}-ring", name=base, location=self.region, opts=self.child())
        self.key = gcp.kms.CryptoKey(
            f"{base}-secrets", name=f"{base}-secrets", key_ring=ring.id, rotation_period=KEY_ROTATION, opts=self.child()
        )
        number = gcp.organizations.get_project_output(project_id=self.project, opts=self.invoke()).number
        # GKE's service agent encrypts etcd's secrets with the key: it needs the key, nothing else.
        grant = gcp.kms.CryptoKeyIAMMember(
            f"{base}-secrets-gke",
            crypto_key_id=self.key.id,
            role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member=number.apply(lambda n: f"serviceAccount:service-{n}@container-engine-robot.iam.gserviceaccount.com"),
            opts=self.child(),
        )
        self.node_account = gcp.serviceaccount.Account(
            f"{base}-nodes",
            account_id=node_account_id(spec.cluster.name),
            display_name=f"{base} nodes",
            opts=self.child(),
        )
        for role in NODE_ROLES:
            gcp.projects.IAMMember(
                f"{base}-nodes-{role.split('/')[-1]}",
                project=self.project,
                role=role,
                member=self.node_account.email.apply(lambda e: f"serviceAccount:{e}"),
                opts=self.child(),
            )
        cidrs = public_cidrs(spec)
        self.cluster = gcp.container.Cluster(
            base,
            name=base,
            location=self.region,
            network=self.network.id,
            subnetwork=self.subnet.id,
            min_master_version=spec.cluster.kubernetes_minor,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel="REGULAR"),
            remove_default_node_pool=True,  # the pools below replace it; the default one never runs workloads
            initial_node_count=1,
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name="pods", services_secondary_range_name="services"
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True, enable_private_endpoint=not cidrs, master_ipv4_cidr_block=MASTER_CIDR
            ),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(cidr_block=c, display_name=c)
                    for c in cidrs
                ],
                gcp_public_cidrs_access_enabled=False,
            ),
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(state="ENCRYPTED", key_name=self.key.id),
            logging_config=gcp.container.ClusterLoggingConfigArgs(enable_components=list(GKE_LOG_COMPONENTS)),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{self.project}.svc.id.goog"
            ),
            datapath_provider="ADVANCED_DATAPATH",  # Dataplane V2 enforces the platform's NetworkPolicies
            # `pulumi destroy` may delete the cluster: retained data lives in disks and managed services.
            deletion_protection=False,
            opts=self.child(depends_on=[grant, self.nat]),
        )

    def _node_pool(self, base: str, pool: PoolShape) -> gcp.container.NodePool:
        accelerators = None
        if pool.gpu:
            accelerators = [
                gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
                    type=accelerator(pool.machine_type),
                    count=1,
                    gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                        gpu_driver_version="DEFAULT"
                    ),
                )
            ]
        return gcp.container.NodePool(
            f"{base}-{pool.name}",
            cluster=self.cluster.id,
            location=self.region,
            # Per zone: a regional pool starts one node in each zone (none for a pool whose minimum is 0);
            # the autoscaler then keeps the region's total within the bounds.
            initial_node_count=min(pool.initial, 1),
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=pool.min, total_max_node_count=pool.max, location_policy="ANY"
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=pool.machine_type,
                disk_size_gb=pool.disk_gb,
                service_account=self.node_account.email,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                labels=pool.labels,
                taints=[
                    gcp.container.NodePoolNodeConfigTaintArgs(key=k, value=v, effect=TAINT_EFFECT[e])
                    for k, v, e in pool.taints
                ],
                guest_accelerators=accelerators,
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
            ),
            opts=self.child(ignore_changes=["initialNodeCount"]),
        )
