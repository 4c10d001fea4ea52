"""Every policy rule: an id, a severity, the reason it exists, and a check over the rendered objects.

Rules see the whole render (some are about absence: a namespace without default-deny), so each takes
the object list and a context. The CrossGuard pack (policy/) runs the same functions on a stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from kubeforge.findings import Finding, Severity
from kubeforge.k8s import KObj, annotations_of, ident, labels_of, name_of, namespace_of, pod_spec
from kubeforge.names import CONFIG_ONLY_ANNOTATION, GENERATED_SECRET_ANNOTATION, STACK_VALUE_ANNOTATION, TEAM_LABEL
from kubeforge.policy.isolation_rules import (
    open_policies,
    shared_credentials,
    tenant_roles,
    viewer_writes,
    wide_private_egress,
)


@dataclass(frozen=True)
class PolicyContext:
    """What a rule needs to know beyond the objects."""

    kind: bool  # a laptop render: static users and literal secrets are allowed


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    reason: str
    check: Callable[[list[KObj], PolicyContext], Iterable[tuple[KObj, str]]]


@dataclass(frozen=True)
class Allowed:
    """A workload allowed host access or privilege, and why."""

    namespace: str
    name: str
    reason: str


# The short allow-list of privileged workloads: each needs the host to do its job.
ALLOWED_PRIVILEGED = (
    Allowed("kube-system", "istio-cni-node", "installs the CNI plug-in that redirects pod traffic into the sidecar"),
    Allowed(
        "gpu-operator", "nvidia-device-plugin-daemonset", "exposes /dev/nvidia* and registers GPUs with the kubelet"
    ),
    Allowed("gpu-operator", "gpu-feature-discovery", "reads the GPUs' PCI and MIG state and writes node features"),
    Allowed("gpu-operator", "dcgm-exporter", "reads GPU telemetry and the kubelet's pod-resources socket on the host"),
    Allowed("monitoring", "node-exporter", "reads the node's /proc, /sys and root file system on its network"),
)


def _containers(obj: KObj) -> list[dict[str, Any]]:
    spec = pod_spec(obj) or {}
    return list(spec.get("containers") or []) + list(spec.get("initContainers") or [])


def mesh_strict(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    for obj in objects:
        if obj.get("kind") == "PeerAuthentication" and namespace_of(obj) == "istio-system":
            spec = obj.get("spec") or {}
            if not spec.get("selector") and (spec.get("mtls") or {}).get("mode") == "STRICT":
                return
    anchor = next((o for o in objects if o.get("kind") == "Namespace" and name_of(o) == "istio-system"), {})
    yield (
        anchor or {"kind": "Namespace", "metadata": {"name": "istio-system"}},
        ("no mesh-wide PeerAuthentication with mtls.mode STRICT in istio-system"),
    )


def _is_default_deny(obj: KObj) -> bool:
    spec = obj.get("spec") or {}
    types = set(spec.get("policyTypes") or [])
    return (
        obj.get("kind") == "NetworkPolicy"
        and spec.get("podSelector") in ({}, None)
        and {"Ingress", "Egress"} <= types
        and not spec.get("ingress")
        and not spec.get("egress")
    )


def default_deny(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    denied = {namespace_of(o) for o in objects if _is_default_deny(o)}
    for obj in objects:
        if obj.get("kind") == "Namespace" and name_of(obj) not in denied:
            yield obj, "no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)"


def allow_all(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    for obj in objects:
        if obj.get("kind") != "NetworkPolicy":
            continue
        spec = obj.get("spec") or {}
        for direction in ("ingress", "egress"):
            for rule in spec.get(direction) or []:
                if rule in ({}, None) or (
                    not rule.get("from" if direction == "ingress" else "to") and not rule.get("ports")
                ):
                    yield obj, f"an {direction} rule allows everything"


def pod_security(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    for obj in objects:
        if obj.get("kind") != "Namespace":
            continue
        labels = labels_of(obj)
        missing = [
            key
            for key in ("pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io/enforce-version")
            if key not in labels
        ]
        if missing:
            yield obj, f"missing Pod Security labels: {', '.join(missing)}"


def requests_limits(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    for obj in objects:
        for c in _containers(obj):
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                missing = [r for r in ("cpu", "memory") if r not in (res.get(part) or {})]
                if missing:
                    yield obj, f"container {c.get('name')}: no {part} for {', '.join(missing)}"


def _allowed(obj: KObj) -> bool:
    return any(a.namespace == namespace_of(obj) and a.name == name_of(obj) for a in ALLOWED_PRIVILEGED)


def host_access(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None or _allowed(obj):
            continue
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(flag):
                yield obj, f"{flag}: true"
        for volume in spec.get("volumes") or []:
            if "hostPath" in (volume or {}):
                yield obj, f"hostPath volume {volume.get('name')}"
        for c in _containers(obj):
            if (c.get("securityContext") or {}).get("privileged"):
                yield obj, f"container {c.get('name')} is privileged"


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_tags(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    for obj in objects:
        for c in _containers(obj):
            image = str(c.get("image", ""))
            if _DIGEST.search(image):
                continue
            last = image.rsplit("/", 1)[-1]
            if ":" not in last:
                yield obj, f"container {c.get('name')}: image {image!r} has no tag"
            elif last.endswith(":latest"):
                yield obj, f"container {c.get('name')}: image {image!r} uses :latest"
    yield from config_image_tags(objects)


def _config_images(value: object, path: str) -> Iterable[tuple[str, str]]:
    """(path, version) of every `defaultImageVersion` in a JSON config (KServe's runtime images)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "defaultImageVersion" and isinstance(v, str):
                yield f"{path}.{k}", v
            yield from _config_images(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _config_images(v, f"{path}[{i}]")


def config_image_tags(objects: list[KObj]) -> Iterable[tuple[KObj, str]]:
    for obj in objects:
        if obj.get("kind") != "ConfigMap":
            continue
        for key, text in (obj.get("data") or {}).items():
            if key.startswith("_") or not isinstance(text, str) or "defaultImageVersion" not in text:
                continue  # `_example` keys are documentation, never read
            try:
                doc = json.loads(text)
            except ValueError:
                continue
            for where, version in _config_images(doc, key):
                if version in ("", "latest"):
                    yield obj, f"{where} is {version!r}: images it names float"


def plaintext_secrets(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    if ctx.kind:
        return
    for obj in objects:
        ann = annotations_of(obj)
        # A Secret with generated, stack-filled or config-only keys keeps only names (a user) as literals.
        skip = (GENERATED_SECRET_ANNOTATION, STACK_VALUE_ANNOTATION, CONFIG_ONLY_ANNOTATION)
        if obj.get("kind") != "Secret" or any(ann.get(a) for a in skip):
            continue
        if obj.get("data") or obj.get("stringData"):
            yield obj, "literal secret values in the render (generate them per install or reference an external store)"


def _dex_configs(objects: list[KObj]) -> Iterable[tuple[KObj, dict[str, Any]]]:
    for obj in objects:
        if obj.get("kind") not in ("ConfigMap", "Secret"):
            continue
        for key, value in ((obj.get("stringData") or {}) | (obj.get("data") or {})).items():
            if key == "config.yaml" and isinstance(value, str) and "issuer" in value:
                try:
                    doc = yaml.safe_load(value)
                except yaml.YAMLError:
                    continue
                if isinstance(doc, dict) and "issuer" in doc:
                    yield obj, doc


def static_users(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    if ctx.kind:
        return
    for obj, doc in _dex_configs(objects):
        if doc.get("staticPasswords") or doc.get("enablePasswordDB"):
            yield obj, "Dex has static users or its password database enabled outside kind"


def team_quota(objects: list[KObj], ctx: PolicyContext) -> Iterable[tuple[KObj, str]]:
    quota = {namespace_of(o) for o in objects if o.get("kind") == "ResourceQuota"}
    limits = {namespace_of(o) for o in objects if o.get("kind") == "LimitRange"}
    for obj in objects:
        if obj.get("kind") == "Namespace" and TEAM_LABEL in labels_of(obj):
            if name_of(obj) not in quota:
                yield obj, "team namespace without a ResourceQuota"
            if name_of(obj) not in limits:
                yield obj, "team namespace without a LimitRange"


RULES: tuple[Rule, ...] = (
    Rule("KF001", "error", "Mesh-wide STRICT mTLS: no plain-text traffic between sidecars.", mesh_strict),
    Rule("KF002", "error", "Every namespace kubeforge manages starts from default-deny.", default_deny),
    Rule("KF003", "error", "A NetworkPolicy that allows everything undoes default-deny.", allow_all),
    Rule("KF004", "error", "Pod Security admission needs labels on every namespace.", pod_security),
    Rule("KF005", "error", "Requests schedule fairly; limits stop one pod starving a node.", requests_limits),
    Rule("KF006", "error", "Host access and privilege only for the short allow-list, each with a reason.", host_access),
    Rule("KF007", "error", "A floating tag changes what runs without a change in the render.", image_tags),
    Rule(
        "KF008",
        "error",
        "Secrets shared by every install are no secrets: outside kind none is literal.",
        plaintext_secrets,
    ),
    Rule("KF009", "error", "Static Dex users are for laptops; production signs in through an IdP.", static_users),
    Rule("KF010", "error", "Every team is bounded by a quota and gets default limits.", team_quota),
    Rule("KF011", "error", "A mesh policy admitting any caller lets one team into every store.", open_policies),
    Rule(
        "KF012",
        "error",
        "A team role that writes NetworkPolicies, Endpoints or bindings undoes the team's isolation.",
        tenant_roles,
    ),
    Rule(
        "KF013",
        "error",
        "A credential shared across a team boundary opens one team's data to another.",
        shared_credentials,
    ),
    Rule("KF014", "error", "A viewer reads: no writes, no notebook kernel acting as default-editor.", viewer_writes),
    Rule("KF015", "error", "Team egress to a whole private range reaches every pod and node.", wide_private_egress),
)


def evaluate(objects: list[KObj], ctx: PolicyContext, rules: Iterable[Rule] = RULES) -> list[Finding]:
    findings = [
        Finding(rule=f"policy/{rule.id}", severity=rule.severity, object=ident(obj), message=message)
        for rule in rules
        for obj, message in rule.check(objects, ctx)
    ]
    return sorted(set(findings))
