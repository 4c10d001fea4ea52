"""Safe hardening: only changes that cannot stop an upstream image from starting.

- seccomp RuntimeDefault where the pod sets no profile (the container runtime's default filter);
- allowPrivilegeEscalation: false on containers that are not privileged and add no capabilities;
- automountServiceAccountToken: false where the workload's service account has no RBAC binding
  (it cannot call the API, so the token is useless to it and only useful to an attacker).
Never runAsNonRoot or readOnlyRootFilesystem: images not built for it would fail.
"""

from __future__ import annotations

from typing import Any

from kubeforge.k8s import KObj, namespace_of, pod_spec


def harden(objects: list[KObj], bound_accounts: set[tuple[str, str]] | None = None) -> list[KObj]:
    bound = bound_accounts if bound_accounts is not None else bound_service_accounts(objects)
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        set_seccomp_default(spec)
        for key in ("initContainers", "containers"):
            for container in spec.get(key) or []:
                forbid_privilege_escalation(container)
        disable_unused_token(spec, namespace_of(obj) or "default", bound)
    return objects


def set_seccomp_default(spec: dict[str, Any]) -> None:
    psc = spec.setdefault("securityContext", {}) or {}
    spec["securityContext"] = psc
    if "seccompProfile" in psc:
        return
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    if any(((c.get("securityContext") or {}).get("seccompProfile")) for c in containers):
        return  # a container chose its own profile: leave the pod as upstream made it
    psc["seccompProfile"] = {"type": "RuntimeDefault"}


def forbid_privilege_escalation(container: dict[str, Any]) -> None:
    sc = container.get("securityContext") or {}
    if sc.get("privileged") or (sc.get("capabilities") or {}).get("add"):
        return  # privileged or capability-adding containers (istio-cni, GPU plugins) need their power
    sc.setdefault("allowPrivilegeEscalation", False)
    container["securityContext"] = sc


def disable_unused_token(spec: dict[str, Any], namespace: str, bound: set[tuple[str, str]]) -> None:
    if "automountServiceAccountToken" in spec:
        return
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    if (namespace, account) not in bound:
        spec["automountServiceAccountToken"] = False


def bound_service_accounts(objects: list[KObj]) -> set[tuple[str, str]]:
    """Service accounts named by any RoleBinding or ClusterRoleBinding in the same component."""
    bound: set[tuple[str, str]] = set()
    for obj in objects:
        if obj.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        for subject in obj.get("subjects") or []:
            if subject.get("kind") == "ServiceAccount":
                ns = subject.get("namespace") or namespace_of(obj) or "default"
                bound.add((str(ns), str(subject.get("name", ""))))
    return bound
