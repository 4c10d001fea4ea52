"""EKS: VPC with private node subnets, a private-endpoint control plane with every log type and KMS-encrypted
secrets, a CPU and a GPU managed node group, Pod Identity (workload identity), gp3 as the default class.

Built from pulumi-aws resources, not pulumi-eks: pulumi-eks's Cluster is a remote component (its children
are created by a Node.js plugin), so neither mocks nor CrossGuard's view of this program would see them.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from kubeforge.spec.model import PlatformSpec
from stacks.clusters.base import CloudCluster
from stacks.clusters.shape import EKS_LOG_TYPES, PoolShape, exec_kubeconfig, pools, prefix, public_cidrs, subnet_cidrs

AZ_COUNT = 2  # EKS needs subnets in two availability zones at least
LOG_RETENTION_DAYS = 90
CLUSTER_POLICIES = ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",)
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)
EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
# The EKS-optimised AL2023 images; the NVIDIA one carries the driver and the container toolkit.
AMI = {False: "AL2023_x86_64_STANDARD", True: "AL2023_x86_64_NVIDIA"}
TAINT_EFFECT = {"NoSchedule": "NO_SCHEDULE", "NoExecute": "NO_EXECUTE", "PreferNoSchedule": "PREFER_NO_SCHEDULE"}


def _assume(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
            ],
        }
    )


class EksCluster(CloudCluster):
    kind = "Eks"

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, spec, opts)
        base = prefix(spec)
        tags = {"kubeforge.io/cluster": spec.cluster.name}
        self._network(base, spec, tags)
        self._control_plane(base, spec, tags)
        groups = [self._node_group(base, pool, tags) for pool in pools(spec)]
        addons = self._addons(base, groups)
        kubeconfig = pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data
        ).apply(
            lambda a: exec_kubeconfig(
                a[0],
                a[1],
                a[2],
                "aws",
                ["eks", "get-token", "--cluster-name", a[0], "--region", str(spec.cloud.region)],
            )
        )
        self.connect(kubeconfig, [*groups, *addons])
        # EKS has no default class of its own; PVCs made before it exists get it retroactively (1.28+).
        k8s.storage.v1.StorageClass(
            "gp3",
            metadata={"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=self.child(provider=self.provider),
        )
        self.finish("gp3", {"clusterName": self.cluster.name, "endpoint": self.cluster.endpoint, "vpcId": self.vpc.id})

    def make_cloud_provider(self) -> pulumi.ProviderResource:
        provider: pulumi.ProviderResource = aws.Provider(
            "aws", region=self.spec.cloud.region, opts=pulumi.ResourceOptions(parent=self)
        )
        return provider

    def _network(self, base: str, spec: PlatformSpec, tags: dict[str, str]) -> None:
        zones = aws.get_availability_zones_output(state="available", opts=self.invoke())
        self.vpc = aws.ec2.Vpc(
            f"{base}-vpc",
            cidr_block=spec.cloud.network_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**tags, "Name": base},
            opts=self.child(),
        )
        igw = aws.ec2.InternetGateway(f"{base}-igw", vpc_id=self.vpc.id, tags=tags, opts=self.child())
        cidrs = subnet_cidrs(spec.cloud.network_cidr, 2 * AZ_COUNT)
        public = [
            aws.ec2.Subnet(
                f"{base}-public-{i}",
                vpc_id=self.vpc.id,
                cidr_block=cidrs[i],
                availability_zone=zones.names[i],
                map_public_ip_on_launch=False,
                tags={**tags, "kubernetes.io/role/elb": "1"},  # where the ingress load balancer goes
                opts=self.child(),
            )
            for i in range(AZ_COUNT)
        ]
        self.private_subnets = [
            aws.ec2.Subnet(
                f"{base}-private-{i}",
                vpc_id=self.vpc.id,
                cidr_block=cidrs[AZ_COUNT + i],
                availability_zone=zones.names[i],
                tags={**tags, "kubernetes.io/role/internal-elb": "1"},
                opts=self.child(),
            )
            for i in range(AZ_COUNT)
        ]
        eip = aws.ec2.Eip(f"{base}-nat", domain="vpc", tags=tags, opts=self.child())
        nat = aws.ec2.NatGateway(
            f"{base}-nat", allocation_id=eip.id, subnet_id=public[0].id, tags=tags, opts=self.child(depends_on=[igw])
        )
        public_rt = aws.ec2.RouteTable(
            f"{base}-public",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=tags,
            opts=self.child(),
        )
        private_rt = aws.ec2.RouteTable(
            f"{base}-private",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
            tags=tags,
            opts=self.child(),
        )
        for i, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(
                f"{base}-public-{i}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=self.child()
            )
        for i, subnet in enumerate(self.private_subnets):
            aws.ec2.RouteTableAssociation(
                f"{base}-private-{i}", subnet_id=subnet.id, route_table_id=private_rt.id, opts=self.child()
            )
        self.network = [self.vpc, *self.private_subnets, nat, private_rt]

    def _control_plane(self, base: str, spec: PlatformSpec, tags: dict[str, str]) -> None:
        role = aws.iam.Role(
            f"{base}-cluster", assume_role_policy=_assume("eks.amazonaws.com"), tags=tags, opts=self.child()
        )
        attached = [
            aws.iam.RolePolicyAttachment(f"{base}-cluster-{i}", role=role.name, policy_arn=arn, opts=self.child())
            for i, arn in enumerate(CLUSTER_POLICIES)
        ]
        self.key = aws.kms.Key(
            f"{base}-secrets",
            description=f"EKS secrets encryption for {base}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=tags,
            opts=self.child(),
        )
        # Created before the cluster so that its retention, not CloudWatch's "never expire", applies.
        logs = aws.cloudwatch.LogGroup(
            f"{base}-logs",
            name=f"/aws/eks/{base}/cluster",
            retention_in_days=LOG_RETENTION_DAYS,
            tags=tags,
            opts=self.child(),
        )
        cidrs = public_cidrs(spec)
        self.cluster = aws.eks.Cluster(
            base,
            name=base,
            role_arn=role.arn,
            version=spec.cluster.kubernetes_minor,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=[s.id for s in self.private_subnets],
                endpoint_private_access=True,
                endpoint_public_access=bool(cidrs),
                public_access_cidrs=cidrs or None,
            ),
            enabled_cluster_log_types=list(EKS_LOG_TYPES),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=self.key.arn), resources=["secrets"]
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            tags=tags,
            opts=self.child(depends_on=[*attached, logs, *self.network]),
        )
        node_role = aws.iam.Role(
            f"{base}-nodes", assume_role_policy=_assume("ec2.amazonaws.com"), tags=tags, opts=self.child()
        )
        self.node_policies = [
            aws.iam.RolePolicyAttachment(f"{base}-nodes-{i}", role=node_role.name, policy_arn=arn, opts=self.child())
            for i, arn in enumerate(NODE_POLICIES)
        ]
        self.node_role = node_role

    def _node_group(self, base: str, pool: PoolShape, tags: dict[str, str]) -> aws.eks.NodeGroup:
        return aws.eks.NodeGroup(
            f"{base}-{pool.name}",
            cluster_name=self.cluster.name,
            node_group_name=f"{base}-{pool.name}",
            node_role_arn=self.node_role.arn,
            subnet_ids=[s.id for s in self.private_subnets],
            instance_types=[pool.machine_type],
            ami_type=AMI[pool.gpu],
            disk_size=pool.disk_gb,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=pool.min, max_size=pool.max, desired_size=pool.initial
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            labels=pool.labels,
            taints=[aws.eks.NodeGroupTaintArgs(key=k, value=v, effect=TAINT_EFFECT[e]) for k, v, e in pool.taints],
            tags={**tags, "kubeforge.io/pool": pool.name},
            # The cluster autoscaler owns the node count between min and max once the group exists.
            opts=self.child(depends_on=self.node_policies, ignore_changes=["scalingConfig.desiredSize"]),
        )

    def _addons(self, base: str, groups: list[aws.eks.NodeGroup]) -> list[pulumi.Resource]:
        # The VPC CNI enforces NetworkPolicy only when asked: the platform's default-deny depends on it.
        cni = aws.eks.Addon(
            f"{base}-vpc-cni",
            cluster_name=self.cluster.name,
            addon_name="vpc-cni",
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            resolve_conflicts_on_update="OVERWRITE",
            opts=self.child(depends_on=groups),
        )
        identity = aws.eks.Addon(
            f"{base}-pod-identity",
            cluster_name=self.cluster.name,
            addon_name="eks-pod-identity-agent",
            opts=self.child(depends_on=groups),
        )
        ebs_role = aws.iam.Role(
            f"{base}-ebs-csi", assume_role_policy=_assume("pods.eks.amazonaws.com"), opts=self.child()
        )
        aws.iam.RolePolicyAttachment(
            f"{base}-ebs-csi", role=ebs_role.name, policy_arn=EBS_CSI_POLICY, opts=self.child()
        )
        ebs = aws.eks.Addon(
            f"{base}-ebs-csi",
            cluster_name=self.cluster.name,
            addon_name="aws-ebs-csi-driver",
            # Workload identity: the driver's service account assumes the role, nodes hold no volume rights.
            pod_identity_associations=[
                aws.eks.AddonPodIdentityAssociationArgs(role_arn=ebs_role.arn, service_account="ebs-csi-controller-sa")
            ],
            opts=self.child(depends_on=[*groups, identity]),
        )
        return [cni, identity, ebs]
