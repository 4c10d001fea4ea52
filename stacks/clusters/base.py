"""CloudCluster: the ComponentResource every cloud module subclasses; it ends in the platform's provider."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from kubeforge.spec.model import PlatformSpec
from stacks.plan import PROVIDER_SETTINGS

TYPE_PREFIX = "kubeforge:cluster"


class CloudCluster(pulumi.ComponentResource):
    """network -> control plane -> node pools -> kubernetes provider; the platform is applied through it."""

    kind = "Cluster"
    provider: k8s.Provider
    kubeconfig: pulumi.Output[str]
    node_pools: list[pulumi.Resource]
    storage_class: str

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:{self.kind}", name, None, opts)
        self.spec = spec
        # Region, project and subscription come from the spec, never from ambient CLI configuration.
        self.cloud_provider = self.make_cloud_provider()

    def make_cloud_provider(self) -> pulumi.ProviderResource:
        raise NotImplementedError

    def child(self, provider: pulumi.ProviderResource | None = None, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a child: parented here, through this cluster's cloud provider unless another is named."""
        return pulumi.ResourceOptions(parent=self, provider=provider or self.cloud_provider, **kwargs)

    def invoke(self) -> pulumi.InvokeOptions:
        return pulumi.InvokeOptions(parent=self, provider=self.cloud_provider)

    def connect(self, kubeconfig: pulumi.Input[str], node_pools: Sequence[pulumi.Resource]) -> k8s.Provider:
        """The kubernetes provider the platform is applied through: it waits for every node pool."""
        self.node_pools = list(node_pools)
        self.kubeconfig = pulumi.Output.secret(kubeconfig)
        # Waiting for the pools: the platform's Deployments need nodes before their readiness can pass.
        self.provider = k8s.Provider(
            "kubernetes",
            kubeconfig=self.kubeconfig,
            **PROVIDER_SETTINGS,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.node_pools),
        )
        return self.provider

    def finish(self, storage_class: str, outputs: dict[str, Any]) -> None:
        self.storage_class = storage_class
        self.register_outputs({**outputs, "kubeconfig": self.kubeconfig, "storageClass": storage_class})
