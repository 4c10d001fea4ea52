"""Names the GPU layer shares with the policy allow-list, the Ansible roles and its tests."""

from __future__ import annotations

# Namespace and DaemonSet name are on kubeforge.policy.rules.ALLOWED_PRIVILEGED: keep them in step.
NAMESPACE = "gpu-operator"
DAEMONSET = "nvidia-device-plugin-daemonset"
SERVICE_ACCOUNT = "nvidia-device-plugin"
CONFIG_MAP = "nvidia-device-plugin-config"
DEFAULT_DENY = "default-deny"
CONTAINER = "nvidia-device-plugin-ctr"
APP = "nvidia-device-plugin"

# The plugin image, pinned to a release tag (the mirror rewrite may move the registry, never the tag).
# v0.17.x is the device plugin line of GPU Operator 25.3.x, whose release notes add the 580 driver
# branch (25.3.2: plugin v0.17.3 with driver 580.65.06); v0.17.4 is the line's last patch.
IMAGE = "nvcr.io/nvidia/k8s-device-plugin:v0.17.4"

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
