"""Stack config: `kubeforge:profile`, `kubeforge:spec` (an object merged over the profile), kube context/kubeconfig."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubeforge.errors import BadInput


@dataclass(frozen=True)
class StackConfig:
    profile: str
    spec: dict[str, Any] = field(default_factory=dict)
    context: str | None = None
    kubeconfig: str | None = None
    cluster: str | None = None  # eks | gke | aks: the stack creates that cluster first (stacks/clusters/)


def read_config(get: Callable[[str], str | None], get_object: Callable[[str], Any]) -> StackConfig:
    """get/get_object: pulumi.Config("kubeforge").get and .get_object (or fakes in tests)."""
    profile = get("profile")
    if not profile:
        raise BadInput("set the profile: pulumi config set kubeforge:profile kind", field="kubeforge:profile")
    spec = get_object("spec") or {}
    if not isinstance(spec, dict):
        raise BadInput(f"expected an object of spec fields, got {type(spec).__name__}", field="kubeforge:spec")
    kubeconfig = get("kubeconfig")
    return StackConfig(
        profile=profile,
        spec=spec,
        context=get("context"),
        kubeconfig=os.path.expanduser(kubeconfig) if kubeconfig else None,
        cluster=get("cluster"),
    )


def kube_target(
    cfg: StackConfig, spec_context: str | None, spec_kubeconfig: str | None
) -> tuple[str | None, str | None]:
    """Stack config wins over the spec's cluster.context/kubeconfig; None means kubectl's current one."""
    kubeconfig = cfg.kubeconfig or (os.path.expanduser(spec_kubeconfig) if spec_kubeconfig else None)
    return cfg.context or spec_context, kubeconfig
