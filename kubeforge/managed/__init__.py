"""Managed data services: KFP, Katib and Model Registry on the cloud's MySQL, KFP's artifacts on its
object store through workload identity. Runs in the render before team isolation; with the spec's
defaults (`data.*.provider: in-cluster`) it changes nothing."""

from __future__ import annotations

from kubeforge.k8s import KObj
from kubeforge.managed.artifacts import use_managed_artifacts
from kubeforge.managed.database import use_managed_database
from kubeforge.spec.model import PlatformSpec

__all__ = ["use_managed_data"]


def use_managed_data(spec: PlatformSpec, objects: list[KObj]) -> list[KObj]:
    if spec.data.database.managed:
        # With teams, each gets its own registry and MySQL (kubeforge.isolation.registry): one managed database
        # shared by every team's registry would put all teams' models behind one user.
        objects = use_managed_database(objects, registry=not spec.teams)
    if spec.data.artifacts.managed:
        objects = use_managed_artifacts(spec, objects)
    return objects
