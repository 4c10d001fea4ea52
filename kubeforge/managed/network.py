"""Where managed data services sit in the cluster's network, and what reaches them. No Pulumi here:
the engine writes NetworkPolicies from the same ranges the stacks (stacks/data/) create subnets in."""

from __future__ import annotations

import ipaddress

from kubeforge.managed import gcs
from kubeforge.spec.model import PlatformSpec

DATABASE_PORT = 3306
STORAGE_PORT = 443
# The /19 at this index of cloud.network_cidr holds the database: the clusters use the first /18
# (node, public and private subnets of /20), so the fifth /19 is free on every cloud.
DATABASE_BLOCK_INDEX = 4
# EKS Pod Identity: the SDK gets its credentials from the node's agent at this link-local address
# (AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials); not the instance metadata.
POD_IDENTITY_AGENT: tuple[tuple[str, int], ...] = (("169.254.170.23/32", 80),)


def database_cidr(spec: PlatformSpec) -> str:
    """The range the managed database gets its private addresses from (RDS subnets, Cloud SQL's
    private services range, Azure's delegated subnet)."""
    net = ipaddress.ip_network(spec.cloud.network_cidr)
    return str(list(net.subnets(new_prefix=19))[DATABASE_BLOCK_INDEX])


def database_subnets(spec: PlatformSpec, count: int) -> list[str]:
    """`count` /20 subnets inside database_cidr (RDS wants two availability zones)."""
    block = ipaddress.ip_network(database_cidr(spec))
    return [str(s) for s in list(block.subnets(new_prefix=20))[:count]]


def storage_endpoint(spec: PlatformSpec) -> str:
    """The object store's API host (S3: regional, so traffic stays in the ranges the spec lists)."""
    if spec.data.artifacts.provider == "gcs":
        return gcs.ENDPOINT
    return f"s3.{spec.cloud.region}.amazonaws.com"


def identity_endpoints(spec: PlatformSpec) -> tuple[tuple[str, int], ...]:
    """(range, port) where a pod using the managed object store gets its cloud credentials: the EKS Pod
    Identity agent (s3), the GKE metadata server (gcs); under default-deny each needs its own egress."""
    if spec.data.artifacts.provider == "gcs":
        return gcs.METADATA_SERVER
    if spec.data.artifacts.provider == "s3":
        return POD_IDENTITY_AGENT
    return ()
