"""Plain-dict Kubernetes objects: the one representation every stage passes along."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubeforge.names import COMPONENT_LABEL

KObj = dict[str, Any]

# Kinds that live outside any namespace; anything else with a namespace field is namespaced. A CRD in the
# render overrides this by its scope (render/transforms/namespaces.py): kinds are not unique across groups.
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
        "ClusterDomainClaim",
    }
)


def api_group(obj: KObj) -> str:
    api_version = str(obj.get("apiVersion", ""))
    return api_version.split("/")[0] if "/" in api_version else ""


def metadata_of(obj: KObj) -> dict[str, Any]:
    """The object's metadata, read-only ({} when absent or null)."""
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def ident(obj: KObj) -> str:
    """Stable identity: group/kind/namespace/name (namespace empty for cluster-scoped)."""
    meta = metadata_of(obj)
    return f"{api_group(obj)}/{obj.get('kind', '')}/{meta.get('namespace', '') or ''}/{meta.get('name', '')}"


def name_of(obj: KObj) -> str:
    return str(metadata_of(obj).get("name", ""))


def namespace_of(obj: KObj) -> str | None:
    ns = metadata_of(obj).get("namespace")
    return str(ns) if ns else None


def labels_of(obj: KObj) -> dict[str, str]:
    """A copy of the object's labels."""
    return dict(metadata_of(obj).get("labels") or {})


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """A matchLabels selector over an object's labels: the empty selector selects everything, as in Kubernetes."""
    return all(labels.get(k) == v for k, v in selector.items())


def annotations_of(obj: KObj) -> dict[str, str]:
    """A copy of the object's annotations."""
    return dict(metadata_of(obj).get("annotations") or {})


def meta(name: str, namespace: str | None, component: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """Metadata of an object kubeforge authors: name, namespace, component label, then `labels`."""
    out: dict[str, Any] = {"name": name}
    if namespace is not None:
        out["namespace"] = namespace
    out["labels"] = {COMPONENT_LABEL: component, **(labels or {})}
    return out


def obj(api_version: str, kind: str, metadata: dict[str, Any], **rest: object) -> KObj:
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **rest}


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


def pod_template_metadata(obj: KObj) -> dict[str, Any]:
    """The metadata a workload's pods get (a Pod's own), read-only; {} for objects without pods."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return metadata_of(obj)
    if kind in POD_TEMPLATE_KINDS:
        tmpl = spec.get("template") or {}
    elif kind == "CronJob":
        tmpl = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    else:
        return {}
    meta = tmpl.get("metadata")
    return meta if isinstance(meta, dict) else {}


def pod_template_labels(obj: KObj) -> dict[str, str]:
    return dict(pod_template_metadata(obj).get("labels") or {})


def sidecar_injected(obj: KObj, ns_labels: dict[str, dict[str, str]]) -> bool:
    """Whether Istio injects a sidecar into the workload's pods: the pod's own word, else its namespace's label."""
    labels = pod_template_labels(obj)
    if labels.get("sidecar.istio.io/inject") == "false":
        return False
    if labels.get("sidecar.istio.io/inject") == "true":
        return True
    annotations = pod_template_metadata(obj).get("annotations") or {}
    if annotations.get("sidecar.istio.io/inject") == "false" or "inject.istio.io/templates" in annotations:
        return False  # gateways run the proxy as their main container, already counted
    return ns_labels.get(namespace_of(obj) or "", {}).get("istio-injection") == "enabled"
