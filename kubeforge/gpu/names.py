"""Names the GPU layer shares with the policy allow-list, the Ansible roles and its tests."""

from __future__ import annotations

# Namespace and DaemonSet names are on kubeforge.policy.rules.ALLOWED_PRIVILEGED: keep them in step.
NAMESPACE = "gpu-operator"
DAEMONSET = "nvidia-device-plugin-daemonset"
SERVICE_ACCOUNT = "nvidia-device-plugin"
CONFIG_MAP = "nvidia-device-plugin-config"
APP = "nvidia-device-plugin"

# Upstream's names (k8s-device-plugin v0.20.0 deployments/static, dcgm-exporter 4.5.3-4.8.2); the
# image tags are upstream's, pinned by the lock (the mirror rewrite may move the registry, never the tag).
FEATURE_DISCOVERY = "gpu-feature-discovery"
DCGM_EXPORTER = "dcgm-exporter"
IMAGE = "nvcr.io/nvidia/k8s-device-plugin:v0.20.0"

# The node label the nvidia_driver role derives from a host's facts (library/nvidia_gpu_facts.py,
# node_labels) and kubernetes_node/kubeadm_* put on every node with an NVIDIA GPU.
GPU_NODE_LABEL = "nvidia.com/gpu.present"
GPU_NODE_VALUE = "true"

# The extended resource the plugin advertises, and the taint GPU nodes may carry.
GPU_RESOURCE = "nvidia.com/gpu"

# The containerd runtime the containerd role writes on GPU nodes (containerd_nvidia_runtime_name).
RUNTIME_CLASS = "nvidia"
RUNTIME_HANDLER = "nvidia"

# Where the kubelet looks for device plugin sockets (a hostPath: the reason for the privileged PSS level).
KUBELET_DEVICE_PLUGINS = "/var/lib/kubelet/device-plugins"
CONFIG_DIR = "/etc/nvidia-device-plugin"
CONFIG_KEY = "config.yaml"
CONFIG_HASH_ANNOTATION = "kubeforge.io/config-hash"
