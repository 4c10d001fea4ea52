"""AWS: RDS for MySQL in two private subnets of the cluster's VPC (KMS-encrypted with the cluster's key,
backups, no public address, deletion protection, a final snapshot), and an S3 bucket (public access
blocked, SSE-KMS, versioning, TLS only) reached through EKS Pod Identity: one role for the platform's
KFP server and UI, one role per team limited to that team's prefixes. No static key anywhere."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from kubeforge.managed.artifacts import PLATFORM_CLIENTS, TEAM_CLIENT
from kubeforge.managed.database import ADMIN_USER
from kubeforge.managed.network import DATABASE_PORT, database_subnets
from kubeforge.spec.model import PlatformSpec
from stacks.clusters.eks import EksCluster
from stacks.data.base import DataServices
from stacks.data.shape import MYSQL_VERSION, s3_platform_policy, s3_team_policy, size, tls_only_policy

POD_IDENTITY_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
)


class EksData(DataServices):
    kind = "EksData"
    cluster: EksCluster

    def __init__(
        self, name: str, spec: PlatformSpec, cluster: EksCluster, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(name, spec, cluster, opts)
        self.tags = {"kubeforge.io/cluster": spec.cluster.name}
        if spec.data.database.managed:
            self._database()
        if spec.data.artifacts.managed:
            self._bucket()
        self.finish()

    def _database(self) -> None:
        spec, base, db = self.spec, self.base, self.spec.data.database
        zones = aws.get_availability_zones_output(state="available", opts=self.invoke())
        subnets = [
            aws.ec2.Subnet(
                f"{base}-db-{i}",
                vpc_id=self.cluster.vpc.id,
                cidr_block=cidr,
                availability_zone=zones.names[i],
                tags={**self.tags, "Name": f"{base}-db-{i}"},
                opts=self.child(),
            )
            for i, cidr in enumerate(database_subnets(spec, 2))
        ]
        group = aws.rds.SubnetGroup(f"{base}-db", subnet_ids=[s.id for s in subnets], tags=self.tags, opts=self.child())
        # Nodes and (VPC CNI) pods have VPC addresses; the platform's NetworkPolicies narrow it to its clients.
        firewall = aws.ec2.SecurityGroup(
            f"{base}-db",
            vpc_id=self.cluster.vpc.id,
            description=f"MySQL from {base}'s VPC only",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=DATABASE_PORT,
                    to_port=DATABASE_PORT,
                    cidr_blocks=[spec.cloud.network_cidr],
                )
            ],
            tags=self.tags,
            opts=self.child(),
        )
        self.database = instance = aws.rds.Instance(
            f"{base}-db",
            identifier=f"{base}-db",
            engine="mysql",
            engine_version=MYSQL_VERSION["rds"],
            instance_class=size(spec),
            allocated_storage=db.storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=self.cluster.key.arn,
            username=ADMIN_USER,
            password=self.admin_password(),
            db_subnet_group_name=group.name,
            vpc_security_group_ids=[firewall.id],
            publicly_accessible=False,
            multi_az=db.high_availability,
            backup_retention_period=db.backup_days,
            copy_tags_to_snapshot=True,
            deletion_protection=db.deletion_protection,
            # `pulumi destroy` leaves a snapshot behind: the data outlives the instance.
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{base}-db-final",
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=["error", "slowquery"],
            tags=self.tags,
            opts=self.child(),
        )
        self.set_host(instance.address)

    def _role(self, name: str, policy: pulumi.Input[str]) -> aws.iam.Role:
        role = aws.iam.Role(name, assume_role_policy=POD_IDENTITY_TRUST, tags=self.tags, opts=self.child())
        aws.iam.RolePolicy(name, role=role.name, policy=policy, opts=self.child())
        return role

    def _associate(self, name: str, namespace: str, service_account: str, role: aws.iam.Role) -> None:
        aws.eks.PodIdentityAssociation(
            name,
            cluster_name=self.cluster.cluster.name,
            namespace=namespace,
            service_account=service_account,
            role_arn=role.arn,
            tags=self.tags,
            # The agent add-on hands out the credentials: it (and the node groups) must be there first.
            opts=self.child(depends_on=self.cluster.node_pools),
        )

    def _bucket(self) -> None:
        spec, base = self.spec, self.base
        name = str(spec.data.artifacts.bucket)
        key_arn = self.cluster.key.arn
        self.bucket = bucket = aws.s3.Bucket(
            f"{base}-artifacts",
            bucket=name,
            force_destroy=False,  # `pulumi destroy` fails on a bucket holding artifacts: they are kept
            tags=self.tags,
            opts=self.child(retain_on_delete=True),
        )
        aws.s3.BucketPublicAccessBlock(
            f"{base}-artifacts",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self.child(),
        )
        aws.s3.BucketOwnershipControls(
            f"{base}-artifacts",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),  # no ACLs at all
            opts=self.child(),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{base}-artifacts",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key_arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=self.child(),
        )
        aws.s3.BucketVersioning(
            f"{base}-artifacts",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=self.child(),
        )
        aws.s3.BucketPolicy(f"{base}-artifacts", bucket=bucket.id, policy=tls_only_policy(name), opts=self.child())
        platform = self._role(f"{base}-artifacts-platform", key_arn.apply(lambda k: s3_platform_policy(name, k)))
        for sa in PLATFORM_CLIENTS:
            self._associate(f"{base}-artifacts-{sa}", "kubeflow", sa, platform)
        teams = sorted(t.name for t in spec.teams) if spec.enabled("pipelines") else []
        for team in teams:
            role = self._role(f"{base}-team-{team}", key_arn.apply(lambda k, t=team: s3_team_policy(name, t, k)))
            self._associate(f"{base}-team-{team}", team, TEAM_CLIENT, role)
        self.exports["bucket"] = bucket.bucket
