"""GCP: Cloud SQL for MySQL on a private IP only (private services access in the cluster's VPC),
encrypted with a Cloud KMS key of the cluster's key ring, backups with point-in-time recovery and a
final backup on deletion, deletion protection. GCS for KFP's artifacts: a platform bucket and one bucket
per team (uniform access, public access prevention, versioning, a Cloud KMS key), granted to Workload
Identity principals (a team's `default-editor`: its own bucket; KFP's UI: read), and one HMAC key for
KFP's API server, which speaks S3 only, on the platform bucket alone (kubeforge.managed.gcs)."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_gcp as gcp

from kubeforge.managed import gcs
from kubeforge.managed.database import ADMIN_USER
from kubeforge.managed.network import database_cidr
from kubeforge.spec.model import PlatformSpec
from stacks.clusters.gke import KEY_ROTATION, GkeCluster
from stacks.data.base import DataServices
from stacks.data.shape import API_ACCOUNT, MYSQL_VERSION, gcs_account_id, gcs_buckets, gcs_grants, size, wif_principal

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
        if spec.data.artifacts.managed:
            self._buckets()
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

    def _buckets(self) -> None:
        spec, base, project = self.spec, self.base, self.cluster.project
        key = gcp.kms.CryptoKey(
            f"{base}-artifacts",
            name=f"{base}-artifacts",
            key_ring=self.cluster.key.key_ring,
            rotation_period=KEY_ROTATION,
            opts=self.child(),
        )
        agent = gcp.storage.get_project_service_account_output(project=project, opts=self.invoke())
        # Cloud Storage's service agent encrypts the buckets' objects with the key, nothing else.
        grant = gcp.kms.CryptoKeyIAMMember(
            f"{base}-artifacts-gcs",
            crypto_key_id=key.id,
            role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member=agent.email_address.apply(lambda e: f"serviceAccount:{e}"),
            opts=self.child(),
        )
        buckets: dict[str, gcp.storage.Bucket] = {}
        for name, team in gcs_buckets(spec).items():
            buckets[name] = gcp.storage.Bucket(
                f"{base}-artifacts-{team}" if team else f"{base}-artifacts",
                name=name,
                project=project,
                location=self.cluster.region.upper(),
                uniform_bucket_level_access=True,  # IAM only, no ACLs
                public_access_prevention="enforced",
                versioning=gcp.storage.BucketVersioningArgs(enabled=True),
                encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=key.id),
                force_destroy=False,  # `pulumi destroy` fails on a bucket holding artifacts: they are kept
                labels={"kubeforge-cluster": spec.cluster.name, "kubeforge-team": team or "platform"},
                opts=self.child(retain_on_delete=True, depends_on=[grant]),
            )
        self.bucket = buckets[gcs.platform_bucket(spec)]
        # KFP's API server speaks S3 only: a service account with an HMAC key, on the platform bucket alone.
        api = gcp.serviceaccount.Account(
            f"{base}-kfp-api",
            account_id=gcs_account_id(spec.cluster.name),
            display_name=f"{base} KFP API server (HMAC, platform bucket)",
            project=project,
            opts=self.child(),
        )
        number = gcp.organizations.get_project_output(project_id=project, opts=self.invoke()).number
        for bucket, role, grantee in gcs_grants(spec):
            member: pulumi.Output[str] = (
                api.email.apply(lambda e: f"serviceAccount:{e}")
                if grantee == API_ACCOUNT
                else number.apply(lambda n, g=grantee: wif_principal(n, project, g))
            )
            who = "kfp-api" if grantee == API_ACCOUNT else grantee.replace("/", "-")
            gcp.storage.BucketIAMMember(
                f"{bucket}-{role.split('.')[-1]}-{who}",
                bucket=buckets[bucket].name,
                role=role,
                member=member,
                opts=self.child(),
            )
        hmac = gcp.storage.HmacKey(
            f"{base}-kfp-api", service_account_email=api.email, project=project, opts=self.child()
        )
        self.values[gcs.HMAC_ACCESS_VALUE] = pulumi.Output.secret(hmac.access_id)
        self.values[gcs.HMAC_SECRET_VALUE] = pulumi.Output.secret(hmac.secret)
        self.exports["buckets"] = sorted(buckets)
