"""Testinfra checks of the `kubeadm-config` scenario: rendered kubeadm configs and the kind tools."""

import base64
import pathlib
import sys

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "tests" / "roles"))
from kubeadm_schema import validate_documents  # noqa: E402

CFG = "/etc/kubernetes/kubeforge"


def _docs(host, path):
    return {doc["kind"]: doc for doc in validate_documents(host.file(path).content_string)}


def _args(component):
    return {arg["name"]: arg["value"] for arg in component["extraArgs"]}


def test_kubeadm_init_config_matches_v1beta4_schema(host):
    docs = _docs(host, "/etc/kubernetes/kubeadm-config.yaml")
    assert set(docs) == {"InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"}
    assert docs["ClusterConfiguration"]["kubernetesVersion"] == "v1.34.0"
    assert docs["ClusterConfiguration"]["apiServer"]["certSANs"] == ["api.kubeforge.test"]


def test_kubeadm_files_are_private(host):
    for path in ("/etc/kubernetes/kubeadm-config.yaml", "/etc/kubernetes/kubeadm-join.yaml", f"{CFG}/encryption-config.yaml"):
        assert host.file(path).mode == 0o600, path
    assert host.file(CFG).mode == 0o700


def test_api_server_hardening_flags(host):
    args = _args(_docs(host, "/etc/kubernetes/kubeadm-config.yaml")["ClusterConfiguration"]["apiServer"])
    assert args["audit-policy-file"] == f"{CFG}/audit-policy.yaml"
    assert args["audit-log-path"] == "/var/log/kubernetes/audit/audit.log"
    assert args["encryption-provider-config"] == f"{CFG}/encryption-config.yaml"
    assert args["admission-control-config-file"] == f"{CFG}/admission-config.yaml"
    assert args["authentication-config"] == f"{CFG}/authentication-config.yaml"
    # Every file the flags name is mounted into the static pod.
    volumes = _docs(host, "/etc/kubernetes/kubeadm-config.yaml")["ClusterConfiguration"]["apiServer"]["extraVolumes"]
    mounts = [v["mountPath"] for v in volumes]
    for flag in ("audit-policy-file", "encryption-provider-config", "admission-control-config-file", "authentication-config"):
        assert any(args[flag].startswith(m + "/") for m in mounts), flag
        assert host.file(args[flag]).exists, args[flag]


def test_kubelet_read_only_port_and_anonymous_auth_off(host):
    kubelet = _docs(host, "/etc/kubernetes/kubeadm-config.yaml")["KubeletConfiguration"]
    assert kubelet["readOnlyPort"] == 0
    assert kubelet["authentication"]["anonymous"]["enabled"] is False
    assert kubelet["authorization"]["mode"] == "Webhook"
    assert kubelet["cgroupDriver"] == "systemd"


def test_api_server_anonymous_only_on_health_paths(host):
    authn = yaml.safe_load(host.file(f"{CFG}/authentication-config.yaml").content_string)
    assert authn["kind"] == "AuthenticationConfiguration"
    assert sorted(c["path"] for c in authn["anonymous"]["conditions"]) == ["/healthz", "/livez", "/readyz"]


def test_secrets_encrypted_at_rest(host):
    enc = yaml.safe_load(host.file(f"{CFG}/encryption-config.yaml").content_string)
    assert enc["kind"] == "EncryptionConfiguration"
    resource = enc["resources"][0]
    assert resource["resources"] == ["secrets"]
    key = resource["providers"][0]["secretbox"]["keys"][0]["secret"]
    assert len(base64.b64decode(key)) == 32  # secretbox needs a 32-byte key
    assert "identity" in resource["providers"][-1]


def test_pod_security_admission(host):
    adm = yaml.safe_load(host.file(f"{CFG}/admission-config.yaml").content_string)
    psa = next(p for p in adm["plugins"] if p["name"] == "PodSecurity")["configuration"]
    assert psa["apiVersion"] == "pod-security.admission.config.k8s.io/v1"
    assert psa["defaults"]["enforce"] == "baseline"
    assert psa["defaults"]["audit"] == "restricted"
    assert psa["exemptions"]["namespaces"] == ["kube-system"]


def test_audit_policy_never_logs_secret_bodies(host):
    policy = yaml.safe_load(host.file(f"{CFG}/audit-policy.yaml").content_string)
    assert policy["apiVersion"] == "audit.k8s.io/v1"
    for rule in policy["rules"]:
        groups = rule.get("resources", [])
        if any("secrets" in g.get("resources", []) for g in groups):
            assert rule["level"] == "Metadata"
            break
    else:
        raise AssertionError("no rule for secrets")


def test_join_config_carries_gpu_labels(host):
    join = _docs(host, "/etc/kubernetes/kubeadm-join.yaml")["JoinConfiguration"]
    labels = dict(
        item.split("=", 1)
        for item in next(a["value"] for a in join["nodeRegistration"]["kubeletExtraArgs"] if a["name"] == "node-labels").split(",")
    )
    assert labels["nvidia.com/gpu.product"] == "NVIDIA-H200"
    assert labels["nvidia.com/gpu.count"] == "1"
    assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"].endswith(":6443")


def test_kind_tools_installed_from_verified_downloads(host):
    for tool in ("kind", "kubectl", "pulumi"):
        assert f"{tool} stand-in served from loopback" in host.check_output(f"/usr/local/bin/{tool}")
        assert host.file(f"/usr/local/bin/{tool}").mode & 0o111
    assert host.file("/usr/local/bin/pulumi").linked_to == "/opt/pulumi-3.272.0/pulumi/pulumi"


def test_kind_config_from_profile(host):
    cfg = yaml.safe_load(host.file("/etc/kubeforge-kind-kubeflow.yaml").content_string)
    assert cfg["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert cfg["name"] == "kubeflow"  # cluster.name of profiles/kind.yaml
