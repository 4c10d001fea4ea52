"""NVIDIA's manifests as the GPU layer transforms them: what the spec asks for, off without GPUs, stable output."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from kubeforge.gpu import DAEMONSET, DCGM_EXPORTER, FEATURE_DISCOVERY, IMAGE, NAMESPACE
from kubeforge.gpu.names import CONFIG_HASH_ANNOTATION, KUBELET_DEVICE_PLUGINS
from kubeforge.k8s import KObj, name_of, namespace_of, pod_spec
from kubeforge.policy import ALLOWED_PRIVILEGED
from kubeforge.release.store import load_lock
from kubeforge.render.order import enabled_components
from kubeforge.render.pipeline import STEPS
from kubeforge.render.steps import ComponentStep
from kubeforge.spec.load import load_spec

from .conftest import gpu_objects, gpu_spec


def one(objects: list[KObj], kind: str) -> KObj:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, f"{len(found)} {kind} objects"
    return found[0]


def maybe(objects: list[KObj], kind: str) -> KObj | None:
    found = [o for o in objects if o["kind"] == kind]
    return found[0] if found else None


def daemonset(objects: list[KObj], name: str = DAEMONSET) -> KObj:
    [ds] = [o for o in objects if o["kind"] == "DaemonSet" and name_of(o) == name]
    return ds


def container(objects: list[KObj], name: str = DAEMONSET) -> dict[str, Any]:
    containers = daemonset(objects, name)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


def env(objects: list[KObj], name: str = DAEMONSET) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(objects, name).get("env") or [] if "value" in e}


# --- off ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("profile", ["kind", "production"])
def test_profiles_without_gpus_render_no_gpu_component(profile: str) -> None:
    spec = load_spec(profile)
    assert spec.gpu.enabled is False
    assert not {"nvidia-device-plugin", "dcgm-exporter"} & set(enabled_components(spec, load_lock(spec.release)))


def test_disabled_gpu_turns_the_gpu_components_off_whatever_the_sharing() -> None:
    # The team's GPU quota goes to 0 with the GPUs: a cluster without GPUs refuses a GPU quota.
    teams = [{"name": "ml-research", "owners": ["lead@example.com"], "quota": {"gpu": 0}}]
    off = {"enabled": False, "sharing": {"strategy": "mig"}}
    for spec in (gpu_spec("mig-mixed", gpu=off, teams=teams), gpu_spec(gpu={"enabled": False}, teams=teams)):
        assert not {"nvidia-device-plugin", "dcgm-exporter"} & set(enabled_components(spec, load_lock(spec.release)))
    spec = gpu_spec()
    on = enabled_components(spec, load_lock(spec.release))
    assert on.index("nvidia-device-plugin") < on.index("dcgm-exporter") and on.index("monitoring") < on.index(
        "dcgm-exporter"
    )


def test_the_render_transforms_both_gpu_components() -> None:
    named = {s.component for s in STEPS if isinstance(s, ComponentStep)}
    assert {"nvidia-device-plugin", "dcgm-exporter"} <= named
    lock = load_lock("26.03")
    assert lock.components["nvidia-device-plugin"].files == [
        "nvidia-device-plugin:deployments/static/gpu-feature-discovery-daemonset.yaml",
        "nvidia-device-plugin:deployments/static/nvidia-device-plugin.yml",
    ]
    assert lock.sources["nvidia-device-plugin"].commit == "1b826acc6af3079d8923bac395c3124b8861a9a6"
    assert lock.components["dcgm-exporter"].version == "4.5.3-4.8.2"


# --- time-slicing ------------------------------------------------------------------------------
def test_time_slicing_config_comes_from_the_profile() -> None:
    spec = load_spec("gpu")
    assert (spec.gpu.sharing.strategy, spec.gpu.sharing.replicas) == ("time-slicing", 4)
    objects = gpu_objects(spec)
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
    # The plugin and gpu-feature-discovery read that file: the ConfigMap is mounted where --config-file points.
    for name in (DAEMONSET, FEATURE_DISCOVERY):
        ctr = container(objects, name)
        pod = daemonset(objects, name)["spec"]["template"]["spec"]
        [config_arg] = [a for a in ctr["args"] if a.startswith("--config-file=")]
        path = config_arg.split("=", 1)[1]
        [mount] = [m for m in ctr["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
        assert mount["readOnly"] is True
        [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert volume["configMap"]["name"] == name_of(cm)
        assert path.rsplit("/", 1)[1] in cm["data"]
        assert env(objects, name)["MIG_STRATEGY"] == "none"


def test_replicas_follow_the_spec_and_roll_the_pods() -> None:
    four = gpu_objects(load_spec("gpu"))
    eight = gpu_objects(gpu_spec(gpu={"sharing": {"replicas": 8}}))
    config = yaml.safe_load(one(eight, "ConfigMap")["data"]["config.yaml"])
    assert config["sharing"]["timeSlicing"]["resources"][0]["replicas"] == 8

    def config_hash(objects: list[KObj]) -> str:
        value: str = daemonset(objects)["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION]
        return value

    # A changed config must change the pod template, or the running plugins keep the old one.
    assert config_hash(four) != config_hash(eight)


# --- MIG and none ------------------------------------------------------------------------------
@pytest.mark.parametrize(("sharing", "strategy"), [("mig-mixed", "mixed"), ("mig-single", "single")])
def test_mig_strategy_is_an_env_and_there_is_no_time_slicing(sharing: str, strategy: str) -> None:
    objects = gpu_objects(gpu_spec(sharing))
    for name in (DAEMONSET, FEATURE_DISCOVERY):  # upstream's gpu-feature-discovery-daemonset-with-mig-* set these
        assert env(objects, name)["MIG_STRATEGY"] == strategy
        assert env(objects, name)["NVIDIA_MIG_MONITOR_DEVICES"] == "all"
    assert maybe(objects, "ConfigMap") is None
    ctr = container(objects)
    assert not any(a.startswith("--config-file") for a in ctr.get("args") or [])
    assert "timeSlicing" not in json.dumps(objects)
    assert ctr["securityContext"]["capabilities"] == {"drop": ["ALL"], "add": ["SYS_ADMIN"]}
    assert ctr["securityContext"]["allowPrivilegeEscalation"] is False


def test_no_sharing_has_no_config_and_no_mig() -> None:
    objects = gpu_objects(gpu_spec("none"))
    assert maybe(objects, "ConfigMap") is None
    assert env(objects)["MIG_STRATEGY"] == "none"
    assert "NVIDIA_MIG_MONITOR_DEVICES" not in env(objects)
    assert "args" not in container(objects)
    assert container(objects, FEATURE_DISCOVERY).get("args") is None
    assert CONFIG_HASH_ANNOTATION not in json.dumps(objects)


# --- the DaemonSet -----------------------------------------------------------------------------
def test_every_gpu_workload_is_allow_listed_in_the_gpu_namespace() -> None:
    objects = gpu_objects(load_spec("gpu"))
    workloads = [o for o in objects if pod_spec(o) is not None]
    assert sorted(name_of(o) for o in workloads) == sorted([DAEMONSET, FEATURE_DISCOVERY, DCGM_EXPORTER])
    for ds in workloads:  # upstream put the plugin in kube-system and the others nowhere
        assert namespace_of(ds) == NAMESPACE
        assert any(a.namespace == NAMESPACE and a.name == name_of(ds) for a in ALLOWED_PRIVILEGED)
    assert {namespace_of(o) for o in objects} == {None, NAMESPACE}


@pytest.mark.parametrize("name", [DAEMONSET, FEATURE_DISCOVERY, DCGM_EXPORTER])
def test_every_gpu_pod_runs_on_gpu_nodes_under_the_nvidia_runtime(name: str) -> None:
    objects = gpu_objects(load_spec("gpu"))
    pod = daemonset(objects, name)["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert "affinity" not in pod  # upstream's NFD PCI labels: kubeforge's nodes carry the label instead
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    assert pod["runtimeClassName"] == "nvidia"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


def test_dcgm_exporter_keeps_its_metric_set_and_attributes_gpus_to_pods() -> None:
    objects = gpu_objects(load_spec("gpu"))
    assert env(objects, DCGM_EXPORTER)["DCGM_EXPORTER_KUBERNETES"] == "true"  # pod, namespace, container labels
    [mount] = container(objects, DCGM_EXPORTER)["volumeMounts"]
    assert mount["mountPath"] == "/var/lib/kubelet/pod-resources"  # the kubelet's GPU-to-pod assignments
    [monitor] = [o for o in objects if o["kind"] == "ServiceMonitor"]
    assert namespace_of(monitor) == NAMESPACE
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "honorLabels": True}]
    [svc] = [o for o in objects if o["kind"] == "Service"]
    assert svc["spec"]["ports"][0]["name"] == "metrics"


@pytest.mark.parametrize("sharing", ["time-slicing", "mig-mixed", "none"])
def test_device_plugin_pod(sharing: str) -> None:
    objects = gpu_objects(gpu_spec(sharing))
    pod = daemonset(objects)["spec"]["template"]["spec"]
    ctr = container(objects)
    assert ctr["image"] == IMAGE
    assert IMAGE == "nvcr.io/nvidia/k8s-device-plugin:v0.20.0"  # upstream's static manifest's tag
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
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        assert key not in pod


# --- namespace ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("kubernetes", "pinned"), [("1.34", "v1.34"), ("v1.35.2", "v1.35")])
def test_namespace_pod_security(kubernetes: str, pinned: str) -> None:
    ns = one(gpu_objects(gpu_spec(cluster={"kubernetes": kubernetes})), "Namespace")
    labels = ns["metadata"]["labels"]
    assert name_of(ns) == NAMESPACE
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"  # hostPath
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    for mode in ("enforce", "warn", "audit"):
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == pinned


# --- determinism -------------------------------------------------------------------------------
@pytest.mark.parametrize("sharing", ["time-slicing", "mig-mixed", "none"])
def test_output_is_deterministic_and_fresh(sharing: str) -> None:
    first = gpu_objects(gpu_spec(sharing))
    snapshot = copy.deepcopy(first)
    daemonset(first)["spec"]["template"]["spec"]["containers"][0]["image"] = "mutated:x"  # edits in place
    second = gpu_objects(gpu_spec(sharing))
    assert json.dumps(second) == json.dumps(snapshot)
    assert [o["kind"] for o in second][:3] == ["Namespace", "ServiceAccount", "RuntimeClass"]
