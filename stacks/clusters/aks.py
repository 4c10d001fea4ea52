"""AKS: VNet with a private node subnet, a private API server (unless asked), Key Vault KMS for secrets,
control-plane and audit logs to Log Analytics, Entra ID auth with local accounts off, Workload Identity,
Azure CNI overlay with Cilium (NetworkPolicy enforced), a CPU system pool and a GPU user pool.
"""

from __future__ import annotations

import base64
import hashlib

import pulumi
import pulumi_azure_native as azure

from kubeforge.spec.model import PlatformSpec
from stacks.clusters.base import CloudCluster
from stacks.clusters.shape import AKS_LOG_CATEGORIES, PoolShape, pools, prefix, public_cidrs, subnet_cidrs

LOG_RETENTION_DAYS = 90
# Built-in role definition ids (the same in every Azure tenant).
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"


def vault_name(cluster: str, subscription: str) -> str:
    """Key Vault names are global across Azure: the cluster's name plus a digest of the subscription (3-24)."""
    digest = hashlib.sha256(f"{subscription}/{cluster}".encode()).hexdigest()[:8]
    return f"kf{cluster.replace('-', '')[:14]}{digest}"


def _taint(key: str, value: str, effect: str) -> str:
    return f"{key}={value}:{effect}"


class AksCluster(CloudCluster):
    kind = "Aks"

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, spec, opts)
        base = prefix(spec)
        self.location = str(spec.cloud.region)
        self.subscription = str(spec.cloud.subscription)
        self.group = azure.resources.ResourceGroup(
            base, resource_group_name=base, location=self.location, opts=self.child()
        )
        self._network(base, spec)
        self._control_plane(base, spec)
        shapes = pools(spec)
        extra = [self._agent_pool(base, pool) for pool in shapes if pool.name != "cpu"]
        creds = azure.containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=self.group.name, resource_name=self.cluster.name, format="exec", opts=self.invoke()
        )
        # format=exec: the user runs kubelogin (Entra ID); the cluster has no local admin account to leak.
        kubeconfig = creds.kubeconfigs.apply(lambda ks: base64.b64decode(ks[0].value).decode())
        # AKS installs managed-csi (Azure Disk, CSI) as the default class: no second default here.
        self.connect(kubeconfig, [self.cluster, *extra])
        self.finish(
            "managed-csi", {"clusterName": self.cluster.name, "resourceGroup": self.group.name, "vnetId": self.vnet.id}
        )

    def make_cloud_provider(self) -> pulumi.ProviderResource:
        provider: pulumi.ProviderResource = azure.Provider(
            "azure-native",
            subscription_id=self.spec.cloud.subscription,
            location=self.spec.cloud.region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return provider

    def _network(self, base: str, spec: PlatformSpec) -> None:
        self.vnet = azure.network.VirtualNetwork(
            base,
            resource_group_name=self.group.name,
            location=self.location,
            address_space=azure.network.AddressSpaceArgs(address_prefixes=[spec.cloud.network_cidr]),
            opts=self.child(ignore_changes=["subnets"]),  # the subnet is its own resource below
        )
        self.subnet = azure.network.Subnet(
            f"{base}-nodes",
            resource_group_name=self.group.name,
            virtual_network_name=self.vnet.name,
            address_prefix=subnet_cidrs(spec.cloud.network_cidr, 1)[0],
            opts=self.child(),
        )

    def _role(self, name: str, principal: pulumi.Input[str], role: str, scope: pulumi.Input[str]) -> pulumi.Resource:
        assignment: pulumi.Resource = azure.authorization.RoleAssignment(
            name,
            principal_id=principal,
            principal_type="ServicePrincipal",
            role_definition_id=f"/subscriptions/{self.subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            scope=scope,
            opts=self.child(),
        )
        return assignment

    def _control_plane(self, base: str, spec: PlatformSpec) -> None:
        client = azure.authorization.get_client_config_output(opts=self.invoke())
        identity = azure.managedidentity.UserAssignedIdentity(
            f"{base}-control-plane", resource_group_name=self.group.name, location=self.location, opts=self.child()
        )
        self.vault = vault = azure.keyvault.Vault(
            f"{base}-kms",
            resource_group_name=self.group.name,
            location=self.location,
            vault_name=vault_name(spec.cluster.name, self.subscription),
            properties=azure.keyvault.VaultPropertiesArgs(
                tenant_id=client.tenant_id,
                sku=azure.keyvault.SkuArgs(family="A", name="standard"),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                enable_purge_protection=True,  # a deleted KMS key would make etcd's secrets unreadable
            ),
            opts=self.child(),
        )
        key = azure.keyvault.Key(
            f"{base}-secrets",
            resource_group_name=self.group.name,
            vault_name=vault.name,
            key_name="etcd-secrets",
            properties=azure.keyvault.KeyPropertiesArgs(kty="RSA", key_size=2048),
            opts=self.child(),
        )
        grants = [
            self._role(f"{base}-kms-user", identity.principal_id, KEY_VAULT_CRYPTO_USER, vault.id),
            self._role(f"{base}-subnet", identity.principal_id, NETWORK_CONTRIBUTOR, self.subnet.id),
        ]
        workspace = azure.operationalinsights.Workspace(
            f"{base}-logs",
            resource_group_name=self.group.name,
            location=self.location,
            sku=azure.operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=LOG_RETENTION_DAYS,
            opts=self.child(),
        )
        cpu = next(p for p in pools(spec) if p.name == "cpu")
        cidrs = public_cidrs(spec)
        self.cluster = azure.containerservice.ManagedCluster(
            base,
            resource_name_=base,
            resource_group_name=self.group.name,
            location=self.location,
            dns_prefix=base,
            kubernetes_version=spec.cluster.kubernetes_minor,
            identity=azure.containerservice.ManagedClusterIdentityArgs(
                type="UserAssigned", user_assigned_identities=[identity.id]
            ),
            agent_pool_profiles=[
                azure.containerservice.ManagedClusterAgentPoolProfileArgs(
                    name=cpu.name,
                    mode="System",
                    type="VirtualMachineScaleSets",
                    vm_size=cpu.machine_type,
                    os_disk_size_gb=cpu.disk_gb,
                    enable_auto_scaling=True,
                    min_count=cpu.min,
                    max_count=cpu.max,
                    count=cpu.initial,
                    node_labels=cpu.labels,
                    vnet_subnet_id=self.subnet.id,
                )
            ],
            api_server_access_profile=azure.containerservice.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=not cidrs, authorized_ip_ranges=cidrs or None
            ),
            network_profile=azure.containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin="azure",
                network_plugin_mode="overlay",
                network_dataplane="cilium",
                network_policy="cilium",  # enforces the platform's default-deny NetworkPolicies
            ),
            aad_profile=azure.containerservice.ManagedClusterAADProfileArgs(managed=True, enable_azure_rbac=True),
            disable_local_accounts=True,
            oidc_issuer_profile=azure.containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=azure.containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=azure.containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                    enabled=True
                ),
                azure_key_vault_kms=azure.containerservice.AzureKeyVaultKmsArgs(
                    enabled=True, key_id=key.key_uri_with_version, key_vault_network_access="Public"
                ),
            ),
            storage_profile=azure.containerservice.ManagedClusterStorageProfileArgs(
                disk_csi_driver=azure.containerservice.ManagedClusterStorageProfileDiskCSIDriverArgs(enabled=True)
            ),
            opts=self.child(depends_on=grants, ignore_changes=["agentPoolProfiles[0].count"]),
        )
        azure.monitor.DiagnosticSetting(
            f"{base}-control-plane-logs",
            resource_uri=self.cluster.id,
            workspace_id=workspace.id,
            logs=[azure.monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in AKS_LOG_CATEGORIES],
            opts=self.child(),
        )

    def _agent_pool(self, base: str, pool: PoolShape) -> azure.containerservice.AgentPool:
        return azure.containerservice.AgentPool(
            f"{base}-{pool.name}",
            agent_pool_name=pool.name,
            resource_group_name=self.group.name,
            resource_name_=self.cluster.name,
            mode="User",
            type="VirtualMachineScaleSets",
            vm_size=pool.machine_type,
            os_disk_size_gb=pool.disk_gb,
            enable_auto_scaling=True,
            min_count=pool.min,
            max_count=pool.max,
            count=pool.initial,
            node_labels=pool.labels,
            node_taints=[_taint(*t) for t in pool.taints],
            # AKS installs the NVIDIA driver on GPU pools; the GPU layer brings the device plugin.
            gpu_profile=azure.containerservice.GPUProfileArgs(driver="Install") if pool.gpu else None,
            vnet_subnet_id=self.subnet.id,
            opts=self.child(ignore_changes=["count"]),
        )
