"""The NVIDIA device plugin DaemonSet: registers each GPU node's GPUs with its kubelet.

Shaped after the upstream static deployment (deployments/static/nvidia-device-plugin.yml), with
kubeforge's additions: its own namespace and ServiceAccount, GPU nodes only, the nvidia RuntimeClass,
requests and limits, seccomp, and the config file or MIG strategy from the spec.
"""

from __future__ import annotations

from typing import Any

from kubeforge.gpu.config import config_hash, mig_strategy
from kubeforge.gpu.meta import meta, obj
from kubeforge.gpu.names import (
    APP,
    CONFIG_DIR,
    CONFIG_HASH_ANNOTATION,
    CONFIG_KEY,
    CONFIG_MAP,
    CONTAINER,
    DAEMONSET,
    GPU_NODE_LABEL,
    GPU_NODE_VALUE,
    GPU_RESOURCE,
    IMAGE,
    KUBELET_DEVICE_PLUGINS,
    NAMESPACE,
    RUNTIME_CLASS,
    SERVICE_ACCOUNT,
)
from kubeforge.k8s import KObj
from kubeforge.spec.model import GPUSpec

SELECTOR = {"app.kubernetes.io/name": APP}
REQUESTS = {"cpu": "50m", "memory": "64Mi"}
LIMITS = {"cpu": "500m", "memory": "256Mi"}

# Checks the upstream image was not built for (the annotation's reason may not contain "=").
CHECKOV_SKIPS = (
    "CKV_K8S_8=the device plugin serves no health endpoint; the kubelet drops a plugin whose socket goes away",
    "CKV_K8S_9=the device plugin serves no readiness endpoint; it is ready once registered with the kubelet",
    "CKV_K8S_22=the NVIDIA runtime hook updates the container's linker cache at start; not built for a read-only root",
    "CKV_K8S_23=the plugin creates its socket in the kubelet's root-owned device-plugins directory",
    "CKV_K8S_40=the plugin runs as root to open /dev/nvidia* and the kubelet's socket directory",
    "CKV_K8S_43=the tag is pinned; a digest needs registry access at render time",
)
# MIG: the plugin watches MIG devices for health events (NVIDIA_MIG_MONITOR_DEVICES), which needs SYS_ADMIN.
CHECKOV_SKIPS_MIG = (
    "CKV_K8S_25=MIG device health monitoring needs CAP_SYS_ADMIN (upstream's chart adds it too)",
    "CKV_K8S_39=MIG device health monitoring needs CAP_SYS_ADMIN (upstream's chart adds it too)",
)


def _env(gpu: GPUSpec) -> list[dict[str, str]]:
    env = [
        # The DaemonSet runs on GPU nodes only: failing to start there is an error to see, not to hide.
        {"name": "FAIL_ON_INIT_ERROR", "value": "true"},
        {"name": "MIG_STRATEGY", "value": mig_strategy(gpu)},
    ]
    if mig_strategy(gpu) != "none":
        env.append({"name": "NVIDIA_MIG_MONITOR_DEVICES", "value": "all"})
    return env


def _security_context(gpu: GPUSpec) -> dict[str, Any]:
    caps: dict[str, Any] = {"drop": ["ALL"]}
    if mig_strategy(gpu) != "none":
        caps["add"] = ["SYS_ADMIN"]
    return {"allowPrivilegeEscalation": False, "privileged": False, "capabilities": caps}


def daemonset(gpu: GPUSpec, config_map: KObj | None) -> KObj:
    mounts: list[dict[str, Any]] = [{"name": "device-plugin", "mountPath": KUBELET_DEVICE_PLUGINS}]
    volumes: list[dict[str, Any]] = [
        {"name": "device-plugin", "hostPath": {"path": KUBELET_DEVICE_PLUGINS, "type": "Directory"}}
    ]
    args: list[str] = []
    annotations: dict[str, str] = {}
    if config_map is not None:
        mounts.append({"name": "config", "mountPath": CONFIG_DIR, "readOnly": True})
        volumes.append({"name": "config", "configMap": {"name": CONFIG_MAP}})
        args.append(f"--config-file={CONFIG_DIR}/{CONFIG_KEY}")
        annotations[CONFIG_HASH_ANNOTATION] = config_hash(config_map)

    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": IMAGE,
        "imagePullPolicy": "Always",  # a moved tag is fetched again, never served stale from the node
        "env": _env(gpu),
        "securityContext": _security_context(gpu),
        "resources": {"requests": dict(REQUESTS), "limits": dict(LIMITS)},
        "volumeMounts": mounts,
    }
    if args:
        container["args"] = args

    pod_meta: dict[str, Any] = {"labels": dict(SELECTOR)}
    if annotations:
        pod_meta["annotations"] = annotations
    pod_spec: dict[str, Any] = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "automountServiceAccountToken": False,
        # Under the NVIDIA runtime the container gets the driver's NVML library to enumerate GPUs.
        "runtimeClassName": RUNTIME_CLASS,
        # A critical add-on: without it no GPU on the node can be scheduled.
        "priorityClassName": "system-node-critical",
        "nodeSelector": {GPU_NODE_LABEL: GPU_NODE_VALUE},
        "tolerations": [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}],
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": volumes,
    }

    md = meta(DAEMONSET, NAMESPACE)
    skips = list(CHECKOV_SKIPS)
    if mig_strategy(gpu) != "none":
        skips.extend(CHECKOV_SKIPS_MIG)
    md["annotations"] = {f"checkov.io/skip{i}": skip for i, skip in enumerate(skips, start=1)}
    return obj(
        "apps/v1",
        "DaemonSet",
        md,
        spec={
            "selector": {"matchLabels": dict(SELECTOR)},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {"metadata": pod_meta, "spec": pod_spec},
        },
    )
