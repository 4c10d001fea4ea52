"""The CrossGuard policies: the engine's rules (kubeforge.policy, shared with `kubeforge check`) over every
Kubernetes object the stack applies, plus the stack's own field-manager rule.

The engine's rules read the whole render, so each is a stack validation over all objects: every typed
Kubernetes resource, which is each ConfigGroup child and each generated Secret (the real engine shows a
yaml/v2 ConfigGroup to a policy with no properties, so its `objs` are read from its children). Policy
config `kind: true` selects the laptop context (static users and literal laptop secrets allowed), as
`kubeforge check` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from kubeforge.k8s import KObj, annotations_of, ident
from kubeforge.policy import RULES, PolicyContext, Rule

CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup"
FIELD_MANAGER = "kubeforge"
_NOT_FIELDS = ("apiVersion", "kind", "status")  # and the provider's own `__inputs`, `__fieldManager`, ...
_CONFIG = PolicyConfigSchema(properties={"kind": {"type": "boolean", "default": False}})


def plain(value: Any) -> Any:
    """pulumi_policy hands props over as read-only proxies; the engine's rules read plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(v) for v in value]
    return value


def objects_of(resource_type: str, props: Any) -> Iterator[KObj]:
    """The Kubernetes object a typed resource applies (a ConfigGroup child, a generated Secret), else none."""
    if not resource_type.startswith("kubernetes:") or resource_type.count(":") != 2:
        return
    _, api, kind = resource_type.split(":")
    if "/" not in api or api.startswith(("yaml/", "helm.sh/", "kustomize/")):
        return
    group, _, version = api.rpartition("/")
    obj: KObj = {str(k): plain(v) for k, v in props.items() if k not in _NOT_FIELDS and not str(k).startswith("__")}
    obj.update(apiVersion=version if group == "core" else f"{group}/{version}", kind=kind)
    yield obj


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        owner: dict[str, str] = {}
        objects: list[KObj] = []
        for resource in args.resources:
            for obj in objects_of(resource.resource_type, resource.props):
                owner.setdefault(ident(obj), resource.urn)
                objects.append(obj)
        ctx = PolicyContext(kind=bool(args.get_config().get("kind", False)))
        for obj, message in rule.check(objects, ctx):
            report_violation(f"{rule.id} {ident(obj)}: {message}", owner.get(ident(obj)))

    return StackValidationPolicy(
        name=f"kubeforge-{rule.id.lower()}",
        description=rule.reason,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY if rule.severity == "error" else EnforcementLevel.ADVISORY,
        config_schema=_CONFIG,
    )


def _field_manager(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for obj in objects_of(args.resource_type, args.props):
        annotations = annotations_of(obj)
        if annotations.get("pulumi.com/patchFieldManager") != FIELD_MANAGER:
            report_violation(f"{ident(obj)}: not applied with field manager {FIELD_MANAGER}", None)


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [
        *(_stack_policy(rule) for rule in RULES),
        ResourceValidationPolicy(
            name="kubeforge-field-manager",
            description="Every object is applied server-side with field manager kubeforge.",
            validate=_field_manager,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
    ]
