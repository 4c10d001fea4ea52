"""DataServices: the ComponentResource every cloud's managed data module subclasses. It holds what the
platform consumes: the stack values (the database host, its admin password) the engine left to fill."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_random as random

from kubeforge.managed.database import ADMIN_PASSWORD_VALUE, HOST_VALUE
from kubeforge.spec.model import PlatformSpec
from stacks.clusters.base import CloudCluster
from stacks.clusters.shape import prefix

TYPE_PREFIX = "kubeforge:data"
ADMIN_PASSWORD_LENGTH = 32


class DataServices(pulumi.ComponentResource):
    """network (the cluster's) -> database and bucket -> identities; the platform reads `values`."""

    kind = "Data"

    def __init__(
        self, name: str, spec: PlatformSpec, cluster: CloudCluster, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TYPE_PREFIX}:{self.kind}", name, None, opts)
        self.spec = spec
        self.cluster = cluster
        self.base = prefix(spec)
        self.values: dict[str, pulumi.Output[str]] = {}
        self.exports: dict[str, Any] = {}
        self.database: pulumi.CustomResource | None = None
        self.bucket: pulumi.CustomResource | None = None

    def child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a child: parented here, through the cluster's cloud provider."""
        return pulumi.ResourceOptions(parent=self, provider=self.cluster.cloud_provider, **kwargs)

    def invoke(self) -> pulumi.InvokeOptions:
        return pulumi.InvokeOptions(parent=self, provider=self.cluster.cloud_provider)

    def admin_password(self) -> pulumi.Output[str]:
        """Generated once, kept encrypted in the stack's state; only the database and the bootstrap Jobs see it."""
        pw = random.RandomPassword(
            "database-admin",
            length=ADMIN_PASSWORD_LENGTH,
            special=False,  # safe in the bootstrap Jobs' SQL; upper, lower and digits satisfy Azure's rule
            min_upper=2,
            min_lower=2,
            min_numeric=2,
            opts=pulumi.ResourceOptions(parent=self),
        )
        secret: pulumi.Output[str] = pulumi.Output.secret(pw.result)
        self.values[ADMIN_PASSWORD_VALUE] = secret
        return secret

    def set_host(self, host: pulumi.Input[str]) -> None:
        self.values[HOST_VALUE] = pulumi.Output.from_input(host)
        self.exports["databaseHost"] = self.values[HOST_VALUE]

    def finish(self) -> None:
        self.register_outputs({**self.exports})
