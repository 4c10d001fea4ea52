"""Where kubeforge's own objects join the render: platform security and teams."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubeforge.identity import FileSecretStore
from kubeforge.isolation import baseline_objects
from kubeforge.isolation.registry import team_registries, without_shared_registry
from kubeforge.k8s import KObj
from kubeforge.names import SECURITY_COMPONENT, TEAMS_COMPONENT
from kubeforge.paths import state_dir
from kubeforge.release.model import Lock
from kubeforge.security import platform_security
from kubeforge.spec.model import PlatformSpec
from kubeforge.tenancy import kfp_store, team_objects


@dataclass(frozen=True)
class Addition:
    """A component kubeforge authors itself, built from the spec, the lock and the upstream objects."""

    name: str
    version: str
    build: Callable[[PlatformSpec, Lock, list[KObj]], list[KObj]]


ADDITIONS = (
    # The shared model registry's server side moves into each team (dropped after this step).
    Addition(
        SECURITY_COMPONENT,
        "kubeforge",
        lambda spec, _lock, objects: platform_security(spec, without_shared_registry(spec, objects)),
    ),
    Addition(
        TEAMS_COMPONENT,
        "kubeforge",
        lambda spec, lock, objects: [
            *baseline_objects(spec),
            *team_objects(spec, lock, kfp_store(spec, lock, objects)),
            *team_registries(spec, objects),
        ],
    ),
)


def default_secret_store(cluster: str = "kubeflow") -> FileSecretStore:
    """The file store of generated secrets, under the state folder, per cluster."""
    return FileSecretStore(state_dir(), cluster)
