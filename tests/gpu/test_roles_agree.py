"""The GPU layer and the Ansible roles name the same node label and the same containerd runtime.

Read from the roles' own files, so a rename on either side fails here.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from kubeforge.gpu import GPU_NODE_LABEL, GPU_NODE_VALUE, RUNTIME_CLASS
from kubeforge.spec.load import load_spec

from .conftest import gpu_objects


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _set_facts(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for task in tasks:
        out.update(task.get("ansible.builtin.set_fact") or {})
        out.update(_set_facts(task.get("block") or []))
    return out


def test_role_labels_gpu_nodes_with_the_selected_key(facts_module: ModuleType) -> None:
    # What nvidia_gpu_facts derives for a host with one GPU, and nothing for a host without.
    labels = facts_module.node_labels({"count": 1, "model": "NVIDIA H200"})
    assert labels[GPU_NODE_LABEL] == GPU_NODE_VALUE
    assert facts_module.node_labels({"count": 0}) == {}


def test_objects_select_gpu_nodes_by_that_label(facts_module: ModuleType) -> None:
    labels = facts_module.node_labels({"count": 8})
    objects = gpu_objects(load_spec("gpu"))
    daemonsets = [o for o in objects if o["kind"] == "DaemonSet"]
    [rc] = [o for o in objects if o["kind"] == "RuntimeClass"]
    selectors = [ds["spec"]["template"]["spec"]["nodeSelector"] for ds in daemonsets]
    for selector in (*selectors, rc["scheduling"]["nodeSelector"]):
        assert selector == {GPU_NODE_LABEL: GPU_NODE_VALUE}
        assert selector.items() <= labels.items()


def test_the_label_reaches_the_kubelet(roles: Path) -> None:
    # nvidia_driver exports the facts' node_labels ...
    exported = _set_facts(_yaml(roles / "nvidia_driver" / "tasks" / "main.yml"))
    assert "node_labels" in exported["nvidia_driver_node_labels"]
    # ... kubernetes_node merges them into the node's labels ...
    defaults = _yaml(roles / "kubernetes_node" / "defaults" / "main.yml")
    assert "nvidia_driver_node_labels" in defaults["kubernetes_node_gpu_labels"]
    computed = _set_facts(_yaml(roles / "kubernetes_node" / "tasks" / "main.yml"))
    assert "kubernetes_node_gpu_labels" in computed["kubernetes_node_all_labels"]
    # ... and the kubelet of a joining worker registers with them.
    join = (roles / "kubeadm_worker" / "templates" / "kubeadm-join.yaml.j2").read_text()
    assert "node-labels" in join and "kubernetes_node_all_labels" in join


def test_runtime_class_handler_is_the_containerd_runtime(roles: Path) -> None:
    defaults = _yaml(roles / "containerd" / "defaults" / "main.yml")
    config = (roles / "containerd" / "templates" / "config.toml.j2").read_text()
    assert "runtimes.{{ containerd_nvidia_runtime_name }}]" in config
    [rc] = [o for o in gpu_objects(load_spec("gpu")) if o["kind"] == "RuntimeClass"]
    assert rc["handler"] == defaults["containerd_nvidia_runtime_name"]
    assert rc["metadata"]["name"] == RUNTIME_CLASS
