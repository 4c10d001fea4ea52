"""Plain-dict Kubernetes objects: the one representation every stage passes along."""

from __future__ import annotations

from typing import Any

KObj = dict[str, Any]

# Kinds that live outside any namespace; anything else with a namespace field is namespaced.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "APIService",
        "PriorityClass",
        "StorageClass",
        "PersistentVolume",
        "ClusterIssuer",
        "IngressClass",
        "RuntimeClass",
        "CSIDriver",
        "ClusterServingRuntime",
        "ClusterStorageContainer",
        "ClusterTrainingRuntime",
        "ClusterWorkflowTemplate",
        "Profile",
        "Image",
        "ClusterDomainClaim",
    }
)


def api_group(obj: KObj) -> str:
    api_version = str(obj.get("apiVersion", ""))
    return api_version.split("/")[0] if "/" in api_version else ""


def ident(obj: KObj) -> str:
    """Stable identity: group/kind/namespace/name (namespace empty for cluster-scoped)."""
    meta = obj.get("metadata") or {}
    return f"{api_group(obj)}/{obj.get('kind', '')}/{meta.get('namespace', '') or ''}/{meta.get('name', '')}"


def name_of(obj: KObj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def namespace_of(obj: KObj) -> str | None:
    ns = (obj.get("metadata") or {}).get("namespace")
    return str(ns) if ns else None


def labels_of(obj: KObj) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


POD_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})


def pod_spec(obj: KObj) -> dict[str, Any] | None:
    """The pod spec of a workload, or None for objects that do not carry one."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec if isinstance(spec, dict) else None
    if kind in POD_TEMPLATE_KINDS:
        tmpl = (spec.get("template") or {}).get("spec")
        return tmpl if isinstance(tmpl, dict) else None
    if kind == "CronJob":
        tmpl = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
        return tmpl if isinstance(tmpl, dict) else None
    return None


def pod_template_labels(obj: KObj) -> dict[str, str]:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return labels_of(obj)
    if kind in POD_TEMPLATE_KINDS:
        return dict(((spec.get("template") or {}).get("metadata") or {}).get("labels") or {})
    if kind == "CronJob":
        tmpl = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return dict((tmpl.get("metadata") or {}).get("labels") or {})
    return {}
