"""A team's Namespace, Profile, ResourceQuota, LimitRange and service accounts."""

from __future__ import annotations

from kubeforge.k8s import KObj, meta, obj
from kubeforge.names import (
    CIDRS_ANNOTATION,
    EXCEPT_ANNOTATION,
    PROFILE_LABEL,
    PROFILE_VALUE,
    TEAM_LABEL,
    TEAMS_COMPONENT,
)
from kubeforge.security.apiserver import api_server_cidrs
from kubeforge.spec.model import PlatformSpec, Resources, Team
from kubeforge.tenancy.network import NON_INTERNET_V4, NON_INTERNET_V6

QUOTA_NAME = "team-quota"
LIMITS_NAME = "team-limits"
SERVICE_ACCOUNTS = ("default-editor", "default-viewer")


def pss_version(spec: PlatformSpec) -> str:
    """Pod Security Standards pinned to the cluster's minor, so an upgrade never tightens silently."""
    return f"v{spec.cluster.kubernetes_minor}"


def namespace_labels(spec: PlatformSpec, team: Team) -> dict[str, str]:
    version = pss_version(spec)
    labels = {
        "istio-injection": "enabled",
        "pod-security.kubernetes.io/enforce": team.pod_security,
        "pod-security.kubernetes.io/enforce-version": version,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": version,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": version,
        TEAM_LABEL: team.name,
        PROFILE_LABEL: PROFILE_VALUE,
        # The labels upstream's profile controller adds (its namespace-labels ConfigMap).
        "katib.kubeflow.org/metrics-collector-injection": "enabled",
        "serving.kubeflow.org/inferenceservice": "enabled",
    }
    if spec.enabled("pipelines"):
        labels["pipelines.kubeflow.org/enabled"] = "true"
    return labels


def baseline_annotations(spec: PlatformSpec, team: Team) -> dict[str, str]:
    """What the admission baseline lets a team NetworkPolicy reach by address (read from the Namespace)."""
    cidrs = [*team.egress.cidrs, *api_server_cidrs(spec)]
    if team.egress.internet:
        cidrs += ["0.0.0.0/0", "::/0"]
    return {
        CIDRS_ANNOTATION: ",".join(dict.fromkeys(cidrs)),
        EXCEPT_ANNOTATION: ",".join((*NON_INTERNET_V4, *NON_INTERNET_V6)) if team.egress.internet else "",
    }


def namespace(spec: PlatformSpec, team: Team) -> KObj:
    md = meta(team.name, None, TEAMS_COMPONENT, namespace_labels(spec, team))
    # The profile controller adopts a namespace only if this annotation names the Profile's owner.
    md["annotations"] = {"owner": team.owners[0], **baseline_annotations(spec, team)}
    return obj("v1", "Namespace", md)


def profile(team: Team) -> KObj:
    md = meta(team.name, None, TEAMS_COMPONENT, {TEAM_LABEL: team.name})
    return obj("kubeflow.org/v1", "Profile", md, spec={"owner": {"kind": "User", "name": team.owners[0]}})


def _resources(res: Resources) -> dict[str, str]:
    return {k: v for k, v in (("cpu", res.cpu), ("memory", res.memory)) if v is not None}


def resource_quota(team: Team) -> KObj:
    q = team.quota
    hard = {
        "requests.cpu": q.cpu,
        "limits.cpu": q.cpu,
        "requests.memory": q.memory,
        "limits.memory": q.memory,
        "requests.nvidia.com/gpu": str(q.gpu),
        "requests.storage": q.storage,
        "persistentvolumeclaims": str(q.pvcs),
    }
    return obj("v1", "ResourceQuota", meta(QUOTA_NAME, team.name, TEAMS_COMPONENT), spec={"hard": hard})


def limit_range(team: Team) -> KObj:
    # Quota on requests/limits rejects pods without them; the LimitRange fills them in.
    limit = {"type": "Container", "default": _resources(team.limits.default)}
    limit["defaultRequest"] = _resources(team.limits.default_request)
    return obj("v1", "LimitRange", meta(LIMITS_NAME, team.name, TEAMS_COMPONENT), spec={"limits": [limit]})


def service_accounts(team: Team) -> list[KObj]:
    return [obj("v1", "ServiceAccount", meta(name, team.name, TEAMS_COMPONENT)) for name in SERVICE_ACCOUNTS]
