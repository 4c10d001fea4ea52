"""Testinfra checks of the `kubeadm-config` scenario: rendered kubeadm configs and the kind tools."""

import base64
import os
import pathlib
import sys

import pytest
import testinfra
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "tests" / "roles"))
from kubeadm_schema import validate_documents  # noqa: E402

CFG = "/etc/kubernetes/kubeforge"
RUN = os.environ.get("KUBEFORGE_RUN_ID", "local")
CP1, CP2, WORKER = (testinfra.get_host(f"podman://kubeforge-{n}-{RUN}") for n in ("cp-1", "cp-2", "worker-1"))
CPS = [CP1, CP2]


@pytest.fixture(params=CPS, ids=["cp-1", "cp-2"])
def cp(request):
    return request.param


def _docs(host, path):
    return {doc["kind"]: doc for doc in validate_documents(host.file(path).content_string)}


def _args(component):
    return {arg["name"]: arg["value"] for arg in component["extraArgs"]}


def test_kubeadm_init_config_matches_v1beta4_schema(cp):
    host = cp
    docs = _docs(host, "/etc/kubernetes/kubeadm-config.yaml")
    assert set(docs) == {"InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"}
    assert docs["ClusterConfiguration"]["kubernetesVersion"] == "v1.34.0"
    assert docs["ClusterConfiguration"]["apiServer"]["certSANs"] == ["api.kubeforge.test"]


def test_kubeadm_files_are_private(cp):
    for path in ("/etc/kubernetes/kubeadm-config.yaml", f"{CFG}/encryption-config.yaml"):
        assert cp.file(path).mode == 0o600, path
    assert cp.file(CFG).mode == 0o700
    for host in (CP2, WORKER):
        assert host.file("/etc/kubernetes/kubeadm-join.yaml").mode == 0o600


def test_api_server_hardening_flags(cp):
    host = cp
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


def test_kubelet_read_only_port_and_anonymous_auth_off(cp):
    host = cp
    kubelet = _docs(host, "/etc/kubernetes/kubeadm-config.yaml")["KubeletConfiguration"]
    assert kubelet["readOnlyPort"] == 0
    assert kubelet["authentication"]["anonymous"]["enabled"] is False
    assert kubelet["authorization"]["mode"] == "Webhook"
    assert kubelet["cgroupDriver"] == "systemd"


def test_api_server_anonymous_only_on_health_paths(cp):
    host = cp
    authn = yaml.safe_load(host.file(f"{CFG}/authentication-config.yaml").content_string)
    assert authn["kind"] == "AuthenticationConfiguration"
    assert sorted(c["path"] for c in authn["anonymous"]["conditions"]) == ["/healthz", "/livez", "/readyz"]


def test_secrets_encrypted_at_rest(cp):
    host = cp
    enc = yaml.safe_load(host.file(f"{CFG}/encryption-config.yaml").content_string)
    assert enc["kind"] == "EncryptionConfiguration"
    resource = enc["resources"][0]
    assert resource["resources"] == ["secrets", "*.dex.coreos.com"]
    key = resource["providers"][0]["secretbox"]["keys"][0]["secret"]
    assert len(base64.b64decode(key)) == 32  # secretbox needs a 32-byte key
    assert "identity" in resource["providers"][-1]


def test_pod_security_admission(cp):
    host = cp
    adm = yaml.safe_load(host.file(f"{CFG}/admission-config.yaml").content_string)
    psa = next(p for p in adm["plugins"] if p["name"] == "PodSecurity")["configuration"]
    assert psa["apiVersion"] == "pod-security.admission.config.k8s.io/v1"
    assert psa["defaults"]["enforce"] == "baseline"
    assert psa["defaults"]["audit"] == "restricted"
    assert psa["exemptions"]["namespaces"] == ["kube-system"]
    # Pinned to the cluster's minor, not "latest": an upgrade never tightens the policy unannounced.
    for mode in ("enforce", "audit", "warn"):
        assert psa["defaults"][f"{mode}-version"] == "v1.34"


def test_audit_policy_never_logs_secret_bodies(cp):
    host = cp
    policy = yaml.safe_load(host.file(f"{CFG}/audit-policy.yaml").content_string)
    assert policy["apiVersion"] == "audit.k8s.io/v1"
    for rule in policy["rules"]:
        groups = rule.get("resources", [])
        if any("secrets" in g.get("resources", []) for g in groups):
            assert rule["level"] == "Metadata"
            break
    else:
        raise AssertionError("no rule for secrets")


def _join(host):
    return _docs(host, "/etc/kubernetes/kubeadm-join.yaml")["JoinConfiguration"]


def test_join_config_carries_gpu_labels():
    join = _join(WORKER)
    labels = dict(
        item.split("=", 1)
        for item in next(a["value"] for a in join["nodeRegistration"]["kubeletExtraArgs"] if a["name"] == "node-labels").split(",")
    )
    assert labels["nvidia.com/gpu.product"] == "NVIDIA-H200"
    assert labels["nvidia.com/gpu.count"] == "1"


@pytest.mark.parametrize("node", [CP2, WORKER], ids=["cp-2", "worker-1"])
def test_join_uses_file_discovery_with_cp1s_ca(node):
    # The API server refuses anonymous reads of cluster-info, so token discovery could not work.
    join = _join(node)
    assert "bootstrapToken" not in join["discovery"]
    assert join["discovery"]["file"]["kubeConfigPath"] == "/etc/kubernetes/discovery.conf"
    discovery = yaml.safe_load(node.file("/etc/kubernetes/discovery.conf").content_string)
    cluster = discovery["clusters"][0]["cluster"]
    assert cluster["server"] == "https://api.kubeforge.test:6443"
    ca = CP1.file("/etc/kubernetes/pki/ca.crt").content_string
    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == ca
    # Anonymous reads of cluster-info get 401 (kubeadm retries until its timeout): the bootstrap token
    # authenticates discovery, so the file is a secret.
    context = discovery["contexts"][0]["context"]
    assert [u["name"] for u in discovery["users"]] == [context["user"]]
    assert discovery["users"][0]["user"] == {"token": join["discovery"]["tlsBootstrapToken"]}
    assert node.file("/etc/kubernetes/discovery.conf").mode == 0o600


def test_second_control_plane_joins_as_control_plane():
    join = _join(CP2)
    init = _docs(CP1, "/etc/kubernetes/kubeadm-config.yaml")["InitConfiguration"]
    assert join["controlPlane"]["certificateKey"] == init["certificateKey"]
    assert join["controlPlane"]["localAPIEndpoint"]["bindPort"] == 6443
    assert "controlPlane" not in _join(WORKER)


def test_every_control_plane_has_the_same_encryption_key_and_the_controller_a_backup():
    files = [host.file(f"{CFG}/encryption-config.yaml").content_string for host in CPS]
    assert files[0] == files[1]
    backup = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "secrets" / "encryption-config.yaml"
    assert backup.read_text() == files[0]
    assert backup.stat().st_mode & 0o777 == 0o600


def test_endpoint_is_the_load_balanced_one(cp):
    assert _docs(cp, "/etc/kubernetes/kubeadm-config.yaml")["ClusterConfiguration"]["controlPlaneEndpoint"] == "api.kubeforge.test:6443"


def test_kubelet_hardening(cp):
    kubelet = _docs(cp, "/etc/kubernetes/kubeadm-config.yaml")["KubeletConfiguration"]
    assert kubelet["protectKernelDefaults"] is True
    assert kubelet["failCgroupV1"] is True
    assert kubelet["serverTLSBootstrap"] is True
    assert kubelet["tlsMinVersion"] == "VersionTLS12"
    assert kubelet["systemReserved"]["memory"] and kubelet["kubeReserved"]["cpu"]
    assert kubelet["shutdownGracePeriod"] == "60s"
    assert kubelet["shutdownGracePeriodCriticalPods"] == "20s"


def test_audit_policy_quiet_on_leases_and_events_metadata_for_dex(cp):
    rules = yaml.safe_load(cp.file(f"{CFG}/audit-policy.yaml").content_string)["rules"]

    def level(group, resource, verb="create"):
        # First matching rule wins, as the API server evaluates it.
        for rule in rules:
            if "nonResourceURLs" in rule:
                continue
            if "verbs" in rule and verb not in rule["verbs"]:
                continue
            res = rule.get("resources")
            if res is None or any(r["group"] == group and (not r.get("resources") or resource in r["resources"]) for r in res):
                return rule["level"]
        raise AssertionError("no rule")

    assert level("coordination.k8s.io", "leases", "update") == "None"
    assert level("", "events") == "None"
    assert level("events.k8s.io", "events") == "None"
    assert level("dex.coreos.com", "refreshtokens", "update") == "Metadata"
    assert level("dex.coreos.com", "signingkeies", "create") == "Metadata"
    assert level("apps", "deployments") == "Request"


def test_calico_rendered_from_the_lock():
    kust = yaml.safe_load(CP1.file("/etc/kubernetes/kubeforge/cni/calico/kustomization.yaml").content_string)
    assert kust["resources"] == ["calico.yaml"]
    assert "value: \"10.244.0.0/16\"" in kust["patches"][0]["patch"]
    assert CP1.file("/etc/kubernetes/kubeforge/cni/calico/calico.yaml").sha256sum == (
        "a1df919d9721cf667accdc3e72848911b0cb25cfab7d2478ad0c996302c95744"
    )


def test_kind_tools_installed_from_verified_downloads():
    host = CP1
    for tool in ("kind", "kubectl", "pulumi"):
        assert f"{tool} stand-in served from loopback" in host.check_output(f"/usr/local/bin/{tool}")
        assert host.file(f"/usr/local/bin/{tool}").mode & 0o111
    assert host.file("/usr/local/bin/pulumi").linked_to == "/opt/pulumi-3.272.0/pulumi/pulumi"


def test_kind_config_is_kubeforges():
    cfg = yaml.safe_load(CP1.file("/etc/kubeforge-kind-kubeflow.yaml").content_string)
    assert cfg["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert cfg["name"] == "kubeflow"  # cluster.name of profiles/kind.yaml
    # What `kubeforge kind-config` emits, including the laptop's 127.0.0.1:8443 ingress mapping.
    mapping = cfg["nodes"][0]["extraPortMappings"][0]
    assert (mapping["listenAddress"], mapping["hostPort"]) == ("127.0.0.1", 8443)
