"""GCP: Cloud SQL for MySQL on a private IP only (private services access in the cluster's VPC),
encrypted with a Cloud KMS key of the cluster's key ring, backups with point-in-time recovery and a
final backup on deletion, deletion protection. The artifact store stays in the cluster on GKE: KFP's
API server has no GCS driver with workload identity (spec: data.artifacts)."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_gcp as gcp

from kubeforge.managed.database import ADMIN_USER
from kubeforge.managed.network import database_cidr
from kubeforge.spec.model import PlatformSpec
from stacks.clusters.gke import KEY_ROTATION, GkeCluster
from stacks.data.base import DataServices
from stacks.data.shape import MYSQL_VERSION, size

FINAL_BACKUP_DAYS = 30


class GkeData(DataServices):
    kind = "GkeData"
    cluster: GkeCluster

    def __init__(
        self, name: str, spec: PlatformSpec, cluster: GkeCluster, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, spec, cluster, opts)
        if spec.data.database.managed:
            self._database()
        self.finish()

    def _database(self) -> None:
        spec, base, db = self.spec, self.base, self.spec.data.database
        block = ipaddress.ip_network(database_cidr(spec))
        # Private services access: Google's side of the peering takes its addresses from this range.
        reserved = gcp.compute.GlobalAddress(
            f"{base}-db-range",
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=str(block.network_address),
            prefix_length=block.prefixlen,
            network=self.cluster.network.id,
            opts=self.child(),
        )
        peering = gcp.servicenetworking.Connection(
            f"{base}-db-peering",
            network=self.cluster.network.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[reserved.name],
            opts=self.child(),
        )
        key = gcp.kms.CryptoKey(
            f"{base}-database",
            name=f"{base}-database",
            key_ring=self.cluster.key.key_ring,
            rotation_period=KEY_ROTATION,
            opts=self.child(),
        )
        agent = gcp.projects.ServiceIdentity(
            f"{base}-cloudsql-agent", service="sqladmin.googleapis.com", project=self.cluster.project, opts=self.child()
        )
        # Cloud SQL's service agent encrypts the instance's disks and backups with the key, nothing else.
        grant = gcp.kms.CryptoKeyIAMMember(
            f"{base}-database-cloudsql",
            crypto_key_id=key.id,
            role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member=agent.email.apply(lambda e: f"serviceAccount:{e}"),
            opts=self.child(),
        )
        self.database = instance = gcp.sql.DatabaseInstance(
            f"{base}-db",
            name=f"{base}-db",
            region=self.cluster.region,
            database_version=MYSQL_VERSION["cloudsql"],
            encryption_key_name=key.id,
            deletion_protection=db.deletion_protection,  # Pulumi refuses to delete it
            settings=gcp.sql.DatabaseInstanceSettingsArgs(
                tier=size(spec),
                disk_size=db.storage_gb,
                disk_autoresize=True,
                availability_type="REGIONAL" if db.high_availability else "ZONAL",
                deletion_protection_enabled=db.deletion_protection,  # and so does Cloud SQL itself
                ip_configuration=gcp.sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,  # no public address
                    private_network=self.cluster.network.id,
                    allocated_ip_range=reserved.name,
                ),
                backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                    enabled=True,
                    binary_log_enabled=True,  # point-in-time recovery
                    backup_retention_settings=gcp.sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                        retained_backups=db.backup_days, retention_unit="COUNT"
                    ),
                ),
                # `pulumi destroy` leaves one backup behind: the data outlives the instance.
                final_backup_config=gcp.sql.DatabaseInstanceSettingsFinalBackupConfigArgs(
                    enabled=True, retention_days=FINAL_BACKUP_DAYS
                ),
                user_labels={"kubeforge-cluster": spec.cluster.name},
            ),
            opts=self.child(depends_on=[peering, grant]),
        )
        gcp.sql.User(
            f"{base}-db-admin",
            instance=instance.name,
            name=ADMIN_USER,
            host="%",
            password=self.admin_password(),
            opts=self.child(),
        )
        self.set_host(instance.private_ip_address)
