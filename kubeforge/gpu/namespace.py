"""The gpu-operator Namespace (its default-deny comes from the security layer) and the GPU pods' ServiceAccount."""

from __future__ import annotations

from kubeforge.gpu.meta import meta, obj
from kubeforge.gpu.names import NAMESPACE, SERVICE_ACCOUNT
from kubeforge.k8s import KObj
from kubeforge.spec.model import PlatformSpec


def namespace(spec: PlatformSpec) -> KObj:
    version = f"v{spec.cluster.kubernetes_minor}"  # pinned: a cluster upgrade never changes the rules silently
    labels = {
        # The device plugin mounts the kubelet's device-plugins directory (a hostPath) to register its
        # socket; baseline and restricted forbid hostPath, so only privileged admits it. The policy
        # allow-list (KF006) still limits host access to the device plugin DaemonSet.
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/enforce-version": version,
        # Warnings and audit entries keep showing what is not restricted-clean.
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": version,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": version,
    }
    return obj("v1", "Namespace", meta(NAMESPACE, None, labels))


def service_account() -> KObj:
    # The plugin never calls the API server: no token in its pods.
    return obj("v1", "ServiceAccount", meta(SERVICE_ACCOUNT, NAMESPACE), automountServiceAccountToken=False)
