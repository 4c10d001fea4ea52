"""Where kubeforge's own objects join the render: identity rewrites, platform security, teams, GPU.

Each extension is optional at import time so the engine works while a layer is being built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubeforge.k8s import KObj
from kubeforge.spec.model import PlatformSpec


@dataclass(frozen=True)
class Addition:
    """A component kubeforge authors itself, appended after the upstream components."""

    name: str
    version: str
    build: Callable[[PlatformSpec, list[KObj]], list[KObj]]


def _optional(module: str, attr: str) -> Any:
    try:
        mod = __import__(module, fromlist=[attr])
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return getattr(mod, attr, None)


def additions() -> list[Addition]:
    out = []
    security = _optional("kubeforge.security", "platform_security")
    if security is not None:
        out.append(Addition("security", "kubeforge", security))
    teams = _optional("kubeforge.tenancy", "team_objects")
    if teams is not None:
        out.append(Addition("teams", "kubeforge", lambda spec, _objects: teams(spec)))
    gpu = _optional("kubeforge.gpu", "gpu_objects")
    if gpu is not None:
        out.append(Addition("gpu", "kubeforge", gpu))
    return out


def identity_rewriter() -> Callable[..., list[KObj]] | None:
    fn: Callable[..., list[KObj]] | None = _optional("kubeforge.identity", "configure_identity")
    return fn


def default_secret_store(cluster: str = "kubeflow") -> Any:
    """The identity layer's file store of generated secrets, under the state folder, per cluster."""
    from kubeforge.paths import state_dir

    store = _optional("kubeforge.identity", "FileSecretStore")
    return store(state_dir(), cluster) if store is not None else None
