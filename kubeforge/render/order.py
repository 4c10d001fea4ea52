"""Install order of components (dependencies first) and of objects inside a component."""

from __future__ import annotations

from kubeforge.errors import BadInput
from kubeforge.k8s import KObj, metadata_of
from kubeforge.release.model import Lock
from kubeforge.spec.model import PlatformSpec

# Inside a wave: the order kubectl users know (upstream example/'s legacy order, shortened).
KIND_ORDER = [
    "CustomResourceDefinition",
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "StorageClass",
    "PriorityClass",
    "ServiceAccount",
    "NetworkPolicy",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "Service",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "PodDisruptionBudget",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
]
_RANK = {kind: n for n, kind in enumerate(KIND_ORDER)}


def object_sort_key(obj: KObj) -> tuple[int, str, str, str, str]:
    meta = metadata_of(obj)
    kind = str(obj.get("kind", ""))
    return (
        _RANK.get(kind, len(KIND_ORDER)),
        kind,
        str(obj.get("apiVersion", "")),
        str(meta.get("namespace", "")),
        str(meta.get("name", "")),
    )


def for_release(spec: PlatformSpec, lock: Lock) -> tuple[PlatformSpec, list[str]]:
    """The spec with every component the release lacks switched off (so each layer and check sees it off),
    and a note per component so switched."""
    absent = sorted(n for n, c in spec.components.items() if c.enabled and n not in lock.components)
    if not absent:
        return spec, []
    off = {n: c.model_copy(update={"enabled": False}) if n in absent else c for n, c in spec.components.items()}
    notes = [f"component {n} is not in release {lock.release}: off" for n in absent]
    return spec.model_copy(update={"components": off}), notes


def enabled_components(spec: PlatformSpec, lock: Lock) -> list[str]:
    """Enabled components, dependencies first; an enabled component needing a disabled one is bad input."""
    enabled = {
        n for n, c in lock.components.items() if spec.enabled(n, core=c.core) and (spec.gpu.enabled or not c.gpu)
    }
    for name in sorted(enabled):
        for dep in lock.components[name].depends:
            if dep not in enabled:
                raise BadInput(
                    f"{name!r} needs {dep!r}, which is disabled",
                    file=f"profiles/{spec.profile}.yaml",
                    field=f"components.{dep}.enabled",
                )
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in stack:
            raise BadInput(f"component dependency loop: {' -> '.join((*stack, name))}", field="components")
        for dep in lock.components[name].depends:
            visit(dep, (*stack, name))
        seen.add(name)
        ordered.append(name)

    for name in lock.components:  # the lock's order breaks ties: stable output
        if name in enabled:
            visit(name, ())
    return ordered
