"""The GPU layer's objects: what the spec asks for, nothing when GPUs are off, stable output."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from kubeforge.gpu import DAEMONSET, IMAGE, NAMESPACE, gpu_objects
from kubeforge.gpu.names import CONFIG_HASH_ANNOTATION, KUBELET_DEVICE_PLUGINS
from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.policy import ALLOWED_PRIVILEGED
from kubeforge.release.store import load_lock
from kubeforge.render.extensions import ADDITIONS
from kubeforge.spec.load import load_spec

from .conftest import gpu_spec


def one(objects: list[KObj], kind: str) -> KObj:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]


def maybe(objects: list[KObj], kind: str) -> KObj | None:
    found = [o for o in objects if o["kind"] == kind]
    return found[0] if found else None


def container(objects: list[KObj]) -> dict[str, Any]:
    containers = one(objects, "DaemonSet")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


def env(objects: list[KObj]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(objects).get("env") or []}


# --- off ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile", ["kind", "production"])
def test_profiles_without_gpus_render_nothing(profile: str) -> None:
    spec = load_spec(profile)
    assert spec.gpu.enabled is False
    assert gpu_objects(spec, []) == []


def test_disabled_gpu_renders_nothing_whatever_the_sharing() -> None:
    # The team's GPU quota goes to 0 with the GPUs: a cluster without GPUs refuses a GPU quota.
    teams = [{"name": "ml-research", "owners": ["lead@example.com"], "quota": {"gpu": 0}}]
    off = {"enabled": False, "sharing": {"strategy": "mig"}}
    assert gpu_objects(gpu_spec("mig-mixed", gpu=off, teams=teams), []) == []
    assert gpu_objects(gpu_spec(gpu={"enabled": False}, teams=teams), []) == []


def test_the_render_picks_the_layer_up() -> None:
    gpu = [a for a in ADDITIONS if a.name == "gpu"]
    assert len(gpu) == 1
    spec = gpu_spec()
    assert gpu[0].build(spec, load_lock(spec.release), []) == gpu_objects(spec, [])


# --- time-slicing ------------------------------------------------------------------------------
def test_time_slicing_config_comes_from_the_profile() -> None:
    spec = load_spec("gpu")
    assert (spec.gpu.sharing.strategy, spec.gpu.sharing.replicas) == ("time-slicing", 4)
    objects = gpu_objects(spec, [])
    cm = one(objects, "ConfigMap")
    assert namespace_of(cm) == NAMESPACE
    assert set(cm["data"]) == {"config.yaml"}
    assert yaml.safe_load(cm["data"]["config.yaml"]) == {
        "version": "v1",
        "sharing": {
            "timeSlicing": {
                "failRequestsGreaterThanOne": True,
                "resources": [{"name": "nvidia.com/gpu", "replicas": 4}],
            }
        },
    }
    # The plugin reads that file: the ConfigMap is mounted where --config-file points.
    ctr = container(objects)
    pod = one(objects, "DaemonSet")["spec"]["template"]["spec"]
    [config_arg] = [a for a in ctr["args"] if a.startswith("--config-file=")]
    path = config_arg.split("=", 1)[1]
    [mount] = [m for m in ctr["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
    assert mount["readOnly"] is True
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["configMap"]["name"] == name_of(cm)
    assert path.rsplit("/", 1)[1] in cm["data"]
    assert env(objects)["MIG_STRATEGY"] == "none"


def test_replicas_follow_the_spec_and_roll_the_pods() -> None:
    four = gpu_objects(load_spec("gpu"), [])
    eight = gpu_objects(gpu_spec(gpu={"sharing": {"replicas": 8}}), [])
    config = yaml.safe_load(one(eight, "ConfigMap")["data"]["config.yaml"])
    assert config["sharing"]["timeSlicing"]["resources"][0]["replicas"] == 8

    def config_hash(objects: list[KObj]) -> str:
        value: str = one(objects, "DaemonSet")["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION]
        return value

    # A changed config must change the pod template, or the running plugins keep the old one.
    assert config_hash(four) != config_hash(eight)


# --- MIG and none ------------------------------------------------------------------------------
@pytest.mark.parametrize(("sharing", "strategy"), [("mig-mixed", "mixed"), ("mig-single", "single")])
def test_mig_strategy_is_an_env_and_there_is_no_time_slicing(sharing: str, strategy: str) -> None:
    objects = gpu_objects(gpu_spec(sharing), [])
    assert env(objects)["MIG_STRATEGY"] == strategy
    assert env(objects)["NVIDIA_MIG_MONITOR_DEVICES"] == "all"
    assert maybe(objects, "ConfigMap") is None
    ctr = container(objects)
    assert not any(a.startswith("--config-file") for a in ctr.get("args") or [])
    assert "timeSlicing" not in json.dumps(objects)
    assert ctr["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["SYS_ADMIN"]}
    assert ctr["securityContext"]["allowPrivilegeEscalation"] is False


def test_no_sharing_has_no_config_and_no_mig() -> None:
    objects = gpu_objects(gpu_spec("none"), [])
    assert maybe(objects, "ConfigMap") is None
    assert env(objects)["MIG_STRATEGY"] == "none"
    assert "NVIDIA_MIG_MONITOR_DEVICES" not in env(objects)
    assert "args" not in container(objects)
    assert CONFIG_HASH_ANNOTATION not in json.dumps(objects)


# --- the DaemonSet -----------------------------------------------------------------------------
def test_device_plugin_is_the_allow_listed_workload() -> None:
    ds = one(gpu_objects(load_spec("gpu"), []), "DaemonSet")
    assert (namespace_of(ds), name_of(ds)) == (NAMESPACE, DAEMONSET)
    assert any(a.namespace == NAMESPACE and a.name == DAEMONSET for a in ALLOWED_PRIVILEGED)


@pytest.mark.parametrize("sharing", ["time-slicing", "mig-mixed", "none"])
def test_device_plugin_pod(sharing: str) -> None:
    objects = gpu_objects(gpu_spec(sharing), [])
    pod = one(objects, "DaemonSet")["spec"]["template"]["spec"]
    ctr = container(objects)
    assert ctr["image"] == IMAGE
    assert IMAGE.startswith("nvcr.io/nvidia/k8s-device-plugin:v0.17.")
    assert env(objects)["FAIL_ON_INIT_ERROR"] == "true"
    assert pod["priorityClassName"] == "system-node-critical"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    assert pod["runtimeClassName"] == one(objects, "RuntimeClass")["metadata"]["name"] == "nvidia"
    assert pod["serviceAccountName"] == name_of(one(objects, "ServiceAccount"))
    assert pod["automountServiceAccountToken"] is False
    assert one(objects, "ServiceAccount")["automountServiceAccountToken"] is False
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = ctr["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["privileged"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    [host] = [v for v in pod["volumes"] if "hostPath" in v]
    assert host["hostPath"]["path"] == KUBELET_DEVICE_PLUGINS
    assert [m["mountPath"] for m in ctr["volumeMounts"] if m["name"] == host["name"]] == [KUBELET_DEVICE_PLUGINS]
    for part in ("requests", "limits"):
        assert set(ctr["resources"][part]) == {"cpu", "memory"}
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert key not in pod


# --- namespace ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("kubernetes", "pinned"), [("1.34", "v1.34"), ("v1.35.2", "v1.35")])
def test_namespace_pod_security(kubernetes: str, pinned: str) -> None:
    ns = one(gpu_objects(gpu_spec(cluster={"kubernetes": kubernetes}), []), "Namespace")
    labels = ns["metadata"]["labels"]
    assert name_of(ns) == NAMESPACE
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"  # hostPath
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    for mode in ("enforce", "warn", "audit"):
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == pinned


def test_namespace_denies_all_traffic() -> None:
    objects = gpu_objects(load_spec("gpu"), [])
    [policy] = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert namespace_of(policy) == NAMESPACE
    assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert {namespace_of(o) for o in objects} == {None, NAMESPACE}


# --- determinism -------------------------------------------------------------------------------
@pytest.mark.parametrize("sharing", ["time-slicing", "mig-mixed", "none"])
def test_output_is_deterministic_and_fresh(sharing: str) -> None:
    first = gpu_objects(gpu_spec(sharing), [])
    snapshot = copy.deepcopy(first)
    first[-1]["spec"]["template"]["spec"]["containers"][0]["image"] = "mutated:x"  # the pipeline edits in place
    second = gpu_objects(gpu_spec(sharing), [])
    assert json.dumps(second) == json.dumps(snapshot)
    assert [o["kind"] for o in second][:4] == ["Namespace", "NetworkPolicy", "ServiceAccount", "RuntimeClass"]
    assert second[-1]["kind"] == "DaemonSet"
