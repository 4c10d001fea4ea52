"""Azure: Azure Database for MySQL flexible server in a delegated subnet of the cluster's VNet with a
private DNS zone and public access disabled, data encrypted with a Key Vault key (the cluster's vault)
through its own identity, backups, and a CanNotDelete lock. The artifact store stays in the cluster
on AKS: KFP has no Azure Blob driver (spec: data.artifacts)."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure

from kubeforge.managed.database import ADMIN_USER
from kubeforge.managed.network import database_subnets
from kubeforge.spec.model import PlatformSpec
from stacks.clusters.aks import KEY_VAULT_CRYPTO_USER, AksCluster
from stacks.data.base import DataServices
from stacks.data.shape import MYSQL_VERSION, azure_tier, size


class AksData(DataServices):
    kind = "AksData"
    cluster: AksCluster

    def __init__(
        self, name: str, spec: PlatformSpec, cluster: AksCluster, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, spec, cluster, opts)
        if spec.data.database.managed:
            self._database()
        self.finish()

    def _database(self) -> None:
        spec, base, db, group = self.spec, self.base, self.spec.data.database, self.cluster.group
        subnet = azure.network.Subnet(
            f"{base}-db",
            resource_group_name=group.name,
            virtual_network_name=self.cluster.vnet.name,
            address_prefix=database_subnets(spec, 1)[0],
            delegations=[
                azure.network.DelegationArgs(name="mysql", service_name="Microsoft.DBforMySQL/flexibleServers")
            ],
            opts=self.child(),
        )
        zone = azure.privatedns.PrivateZone(
            f"{base}-db",
            private_zone_name=f"{base}.private.mysql.database.azure.com",
            resource_group_name=group.name,
            location="Global",
            opts=self.child(),
        )
        link = azure.privatedns.VirtualNetworkLink(
            f"{base}-db",
            private_zone_name=zone.name,
            resource_group_name=group.name,
            location="Global",
            virtual_network=azure.privatedns.SubResourceArgs(id=self.cluster.vnet.id),
            registration_enabled=False,
            opts=self.child(),
        )
        identity = azure.managedidentity.UserAssignedIdentity(
            f"{base}-db", resource_group_name=group.name, location=self.cluster.location, opts=self.child()
        )
        key = azure.keyvault.Key(
            f"{base}-database",
            resource_group_name=group.name,
            vault_name=self.cluster.vault.name,
            key_name="database",
            properties=azure.keyvault.KeyPropertiesArgs(kty="RSA", key_size=2048),
            opts=self.child(),
        )
        grant = azure.authorization.RoleAssignment(
            f"{base}-db-key",
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=(
                f"/subscriptions/{self.cluster.subscription}/providers/Microsoft.Authorization/roleDefinitions/"
                f"{KEY_VAULT_CRYPTO_USER}"
            ),
            scope=self.cluster.vault.id,
            opts=self.child(),
        )
        sku = size(spec)
        self.database = server = azure.dbformysql.Server(
            f"{base}-db",
            server_name=f"{base}-db",
            resource_group_name=group.name,
            location=self.cluster.location,
            version=MYSQL_VERSION["azure-mysql"],
            sku=azure.dbformysql.MySQLServerSkuArgs(name=sku, tier=azure_tier(sku)),
            storage=azure.dbformysql.StorageArgs(storage_size_gb=db.storage_gb, auto_grow="Enabled"),
            backup=azure.dbformysql.BackupArgs(backup_retention_days=db.backup_days, geo_redundant_backup="Disabled"),
            high_availability=azure.dbformysql.HighAvailabilityArgs(
                mode="ZoneRedundant" if db.high_availability else "Disabled"
            ),
            network=azure.dbformysql.NetworkArgs(
                delegated_subnet_resource_id=subnet.id,
                private_dns_zone_resource_id=zone.id,
                public_network_access="Disabled",
            ),
            administrator_login=ADMIN_USER,
            administrator_login_password=self.admin_password(),
            identity=azure.dbformysql.MySQLServerIdentityArgs(
                type="UserAssigned", user_assigned_identities=[identity.id]
            ),
            data_encryption=azure.dbformysql.DataEncryptionArgs(
                type="AzureKeyVault",
                primary_key_uri=key.key_uri_with_version,
                primary_user_assigned_identity_id=identity.id,
            ),
            opts=self.child(depends_on=[link, grant]),
        )
        # KFP's and Katib's MySQL drivers are not configured for TLS: the server must accept them inside the VNet.
        azure.dbformysql.Configuration(
            f"{base}-db-transport",
            resource_group_name=group.name,
            server_name=server.name,
            configuration_name="require_secure_transport",
            value="OFF",
            source="user-override",
            opts=self.child(),
        )
        if db.deletion_protection:
            azure.authorization.ManagementLockByScope(
                f"{base}-db",
                scope=server.id,
                level="CanNotDelete",
                notes="kubeforge: the platform's database (data.database.deletion_protection)",
                opts=self.child(),
            )
        self.set_host(server.fully_qualified_domain_name)
