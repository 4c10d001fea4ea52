"""The stack's ComponentResources: ClusterBase, one Component per platform component, one Team per team."""

from __future__ import annotations

from typing import Any

import pulumi

from stacks.plan import Owner

TYPE_PREFIX = "kubeforge:platform"


class PlatformResource(pulumi.ComponentResource):
    """Base: children get the explicit kubernetes provider through `providers`."""

    kind = "Component"

    def __init__(self, owner: Owner, provider: pulumi.ProviderResource) -> None:
        super().__init__(f"{TYPE_PREFIX}:{self.kind}", owner.name, None, pulumi.ResourceOptions(providers=[provider]))
        self.owner = owner
        self.outputs: dict[str, Any] = {}

    def finish(self, outputs: dict[str, Any]) -> None:
        self.outputs = outputs
        self.register_outputs(outputs)


class ClusterBase(PlatformResource):
    """cert-manager, Istio, Dex and oauth2-proxy: what every other component stands on."""

    kind = "ClusterBase"


class Component(PlatformResource):
    kind = "Component"


class Team(PlatformResource):
    kind = "Team"


CLASSES: dict[str, type[PlatformResource]] = {"ClusterBase": ClusterBase, "Component": Component, "Team": Team}


def make_owner(owner: Owner, provider: pulumi.ProviderResource) -> PlatformResource:
    return CLASSES[owner.kind](owner, provider)
