"""NVIDIA's own manifests transformed for the platform: the device plugin and gpu-feature-discovery
(k8s-device-plugin v0.20.0 deployments/static) and dcgm-exporter, moved into the gpu-operator namespace
with its supporting objects, on GPU nodes only (node label, taint toleration, the nvidia RuntimeClass),
the time-slicing config file or MIG strategy from the spec, seccomp, no API token, checkov's reasons.
The pipeline then sizes, hardens, mirrors and labels them like every upstream component."""

from __future__ import annotations

from typing import Any

from kubeforge.gpu.config import config_hash, config_map, mig_strategy
from kubeforge.gpu.names import (
    CONFIG_DIR,
    CONFIG_HASH_ANNOTATION,
    CONFIG_KEY,
    CONFIG_MAP,
    DAEMONSET,
    DCGM_EXPORTER,
    FEATURE_DISCOVERY,
    GPU_NODE_LABEL,
    GPU_NODE_VALUE,
    GPU_RESOURCE,
    NAMESPACE,
    RUNTIME_CLASS,
    SERVICE_ACCOUNT,
)
from kubeforge.gpu.namespace import namespace, service_account
from kubeforge.gpu.runtime import runtime_class
from kubeforge.k8s import KObj, name_of, pod_spec
from kubeforge.spec.model import GPUSpec, PlatformSpec

# Checks the upstream images were not built for (the annotation's reason may not contain "=").
PLUGIN_SKIPS = (
    "CKV_K8S_8=the device plugin serves no health endpoint; the kubelet drops a plugin whose socket goes away",
    "CKV_K8S_9=the device plugin serves no readiness endpoint; it is ready once registered with the kubelet",
    "CKV_K8S_22=the NVIDIA runtime hook updates the container's linker cache at start; not built for a read-only root",
    "CKV_K8S_23=the plugin creates its socket in the kubelet's root-owned device-plugins directory",
    "CKV_K8S_40=the plugin runs as root to open /dev/nvidia* and the kubelet's socket directory",
    "CKV_K8S_43=the tag is pinned; a digest needs registry access at render time",
)
# MIG: the plugin watches MIG devices for health events (NVIDIA_MIG_MONITOR_DEVICES), which needs SYS_ADMIN.
MIG_SKIPS = (
    "CKV_K8S_25=MIG device health monitoring needs CAP_SYS_ADMIN (upstream's chart adds it too)",
    "CKV_K8S_39=MIG device health monitoring needs CAP_SYS_ADMIN (upstream's chart adds it too)",
)
GFD_SKIPS = (
    "CKV_K8S_8=gpu-feature-discovery serves no health endpoint; it rewrites its feature file every minute",
    "CKV_K8S_9=gpu-feature-discovery serves no readiness endpoint",
    "CKV_K8S_16=upstream runs it privileged to read the GPUs' PCI and MIG state under /sys",
    "CKV_K8S_20=upstream runs it privileged to read the GPUs' PCI and MIG state under /sys",
    "CKV_K8S_22=the NVIDIA runtime hook updates the container's linker cache at start; not built for a read-only root",
    "CKV_K8S_28=a privileged container holds every capability (upstream runs it privileged)",
    "CKV_K8S_37=a privileged container holds every capability (upstream runs it privileged)",
    "CKV_K8S_23=it writes the node-feature-discovery features.d file on the host as root",
    "CKV_K8S_40=it writes the node-feature-discovery features.d file on the host as root",
    "CKV_K8S_43=the tag is pinned; a digest needs registry access at render time",
)
DCGM_SKIPS = (
    "CKV_K8S_8=dcgm-exporter's health endpoint is its metrics port; upstream sets no probe",
    "CKV_K8S_9=dcgm-exporter's readiness is its metrics port; upstream sets no probe",
    "CKV_K8S_22=DCGM writes its host engine state in the container; upstream leaves the root writable",
    "CKV_K8S_23=DCGM's profiling metrics (DCGM_FI_PROF_*) need root and SYS_ADMIN (upstream's manifest)",
    "CKV_K8S_25=DCGM's profiling metrics (DCGM_FI_PROF_*) need CAP_SYS_ADMIN (upstream's manifest)",
    "CKV_K8S_39=DCGM's profiling metrics (DCGM_FI_PROF_*) need CAP_SYS_ADMIN (upstream's manifest)",
    "CKV_K8S_40=DCGM's profiling metrics (DCGM_FI_PROF_*) need root (upstream's manifest)",
    "CKV_K8S_43=the tag is pinned; a digest needs registry access at render time",
)


def _set_env(container: dict[str, Any], values: dict[str, str]) -> None:
    env = [e for e in container.get("env") or [] if e.get("name") not in values]
    container["env"] = env + [{"name": k, "value": v} for k, v in values.items()]


def _mig_env(gpu: GPUSpec) -> dict[str, str]:
    env = {"MIG_STRATEGY": mig_strategy(gpu)}
    if mig_strategy(gpu) != "none":
        env["NVIDIA_MIG_MONITOR_DEVICES"] = "all"
    return env


def _on_gpu_nodes(ds: KObj, skips: tuple[str, ...]) -> dict[str, Any]:
    """Namespace, GPU nodes only, the nvidia runtime, no token, seccomp, checkov's reasons: the pod spec."""
    md = ds.setdefault("metadata", {})
    md["namespace"] = NAMESPACE
    md["annotations"] = {
        **(md.get("annotations") or {}),
        **{f"checkov.io/skip{i}": s for i, s in enumerate(skips, start=1)},
    }
    spec = pod_spec(ds)
    assert spec is not None, f"{name_of(ds)} is a DaemonSet"
    spec["serviceAccountName"] = SERVICE_ACCOUNT
    spec["automountServiceAccountToken"] = False  # none of them calls the API server
    spec["runtimeClassName"] = RUNTIME_CLASS  # the container gets the driver's NVML library
    spec["nodeSelector"] = {GPU_NODE_LABEL: GPU_NODE_VALUE}
    spec.pop("affinity", None)  # NFD's PCI labels: kubeforge labels GPU nodes itself (the nvidia_driver role)
    tolerations = [t for t in spec.get("tolerations") or [] if t.get("key") != GPU_RESOURCE]
    spec["tolerations"] = [*tolerations, {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
    spec["securityContext"] = {**(spec.get("securityContext") or {}), "seccompProfile": {"type": "RuntimeDefault"}}
    return spec


def _mount_config(ds: KObj, spec: dict[str, Any], cm: KObj | None) -> None:
    if cm is None:
        return
    container = spec["containers"][0]
    container["args"] = [*(container.get("args") or []), f"--config-file={CONFIG_DIR}/{CONFIG_KEY}"]
    container["volumeMounts"] = [
        *(container.get("volumeMounts") or []),
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
    ]
    spec["volumes"] = [*(spec.get("volumes") or []), {"name": "config", "configMap": {"name": CONFIG_MAP}}]
    template_md = ds["spec"]["template"].setdefault("metadata", {})
    template_md["annotations"] = {**(template_md.get("annotations") or {}), CONFIG_HASH_ANNOTATION: config_hash(cm)}


def device_plugin(objects: list[KObj], spec: PlatformSpec) -> list[KObj]:
    """The plugin and gpu-feature-discovery as upstream ships them, transformed; their namespace first."""
    gpu = spec.gpu
    cm = config_map(gpu)
    for o in objects:
        if o.get("kind") != "DaemonSet":
            continue
        if name_of(o) == DAEMONSET:
            mig = mig_strategy(gpu) != "none"
            pod = _on_gpu_nodes(o, PLUGIN_SKIPS + (MIG_SKIPS if mig else ()))
            container = pod["containers"][0]
            # On GPU nodes only: failing to start there is an error to see, not to hide.
            _set_env(container, {"FAIL_ON_INIT_ERROR": "true", **_mig_env(gpu)})
            caps: dict[str, Any] = {"drop": ["ALL"]}
            if mig:
                caps["add"] = ["SYS_ADMIN"]
            container["securityContext"] = {
                "allowPrivilegeEscalation": False,
                "privileged": False,
                "capabilities": caps,
            }
            _mount_config(o, pod, cm)
        elif name_of(o) == FEATURE_DISCOVERY:
            pod = _on_gpu_nodes(o, GFD_SKIPS)
            _set_env(pod["containers"][0], _mig_env(gpu))  # upstream's -with-mig-* files differ only in these
            _mount_config(o, pod, cm)  # the time-slicing replicas become its nvidia.com/gpu.replicas label
    supporting = [namespace(spec), service_account(), runtime_class(), *([cm] if cm is not None else [])]
    return [*supporting, *objects]


def dcgm_exporter(objects: list[KObj], spec: PlatformSpec) -> list[KObj]:
    """dcgm-exporter on GPU nodes; its ServiceMonitor keeps the exporter's pod labels (the GPU's user)."""
    for o in objects:
        if o.get("kind") == "DaemonSet" and name_of(o) == DCGM_EXPORTER:
            _on_gpu_nodes(o, DCGM_SKIPS)
        elif o.get("kind") in ("Service", "ServiceMonitor"):
            o.setdefault("metadata", {})["namespace"] = NAMESPACE
        if o.get("kind") == "ServiceMonitor":
            # The exporter labels each GPU's series with the namespace, pod and container using it (from the
            # kubelet's pod-resources socket); honorLabels keeps them instead of renaming them exported_*.
            for endpoint in (o.get("spec") or {}).get("endpoints") or []:
                endpoint["honorLabels"] = True
    return objects


__all__ = ["dcgm_exporter", "device_plugin"]
