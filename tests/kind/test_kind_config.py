"""The kind cluster config kind-up creates, the kind-only ingress patch, and the laptop doctor's decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kubeforge.cli.main import app
from kubeforge.errors import BadInput
from kubeforge.kind import (
    INGRESS_NODE_PORT,
    INOTIFY_MINIMUMS,
    kind_cluster_config,
    kind_ingress_patch,
    laptop_report,
    node_image,
    sysctl_changes,
)
from kubeforge.kind.doctor import read_sysctl
from kubeforge.release.store import load_lock
from kubeforge.spec import load_spec


def test_kind_config_for_the_kind_profile() -> None:
    spec = load_spec("kind")
    lock = load_lock(spec.release)
    config = kind_cluster_config(spec, lock)
    assert (config["apiVersion"], config["kind"], config["name"]) == ("kind.x-k8s.io/v1alpha4", "Cluster", "kubeflow")
    (node,) = config["nodes"]
    assert node["role"] == "control-plane"
    assert node["image"] == f"kindest/node:{lock.kubernetes.tested}"
    assert node["extraPortMappings"] == [
        {"containerPort": INGRESS_NODE_PORT, "hostPort": 8443, "listenAddress": "127.0.0.1", "protocol": "TCP"}
    ]
    patch = yaml.safe_load(node["kubeadmConfigPatches"][0])
    assert patch["kind"] == "ClusterConfiguration"
    assert patch["apiServer"]["extraArgs"]["service-account-issuer"] == "https://kubernetes.default.svc"


def test_cluster_name_port_and_version_come_from_the_spec() -> None:
    spec = load_spec("kind", extra={"cluster": {"name": "lab", "kubernetes": "1.34.2"}, "ingress": {"port": 9443}})
    config = kind_cluster_config(spec, load_lock(spec.release))
    assert config["name"] == "lab"
    assert config["nodes"][0]["image"] == "kindest/node:v1.34.2"
    assert config["nodes"][0]["extraPortMappings"][0]["hostPort"] == 9443


def test_node_image_for_an_untested_minor_is_its_first_patch() -> None:
    spec = load_spec("kind")
    lock = load_lock(spec.release)
    other = spec.model_copy(update={"cluster": spec.cluster.model_copy(update={"kubernetes": "1.35"})})
    assert node_image(other, lock) == "kindest/node:v1.35.0"


def _service(kind: str = "ClusterIP") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
        "spec": {
            "type": kind,
            "ports": [
                {"name": "http2", "port": 80, "targetPort": 8080},
                {"name": "https", "port": 443, "targetPort": 8443},
            ],
        },
    }


def test_ingress_patch_makes_the_gateway_the_mapped_node_port_and_touches_nothing_else() -> None:
    other = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "istio-system"},
        "spec": {"ports": [{"port": 443}]},
    }
    source = [_service(), other]
    patched = kind_ingress_patch(source)
    assert patched[0]["spec"]["type"] == "NodePort"
    assert [p.get("nodePort") for p in patched[0]["spec"]["ports"]] == [None, INGRESS_NODE_PORT]
    assert patched[1] is other
    assert source[0] == _service()  # the input is not modified
    assert kind_ingress_patch(patched) == patched  # idempotent: harmless once the engine applies it itself


def test_cli_prints_the_config_and_refuses_a_non_kind_profile(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["kind-config", "--profile", "kind"])
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(result.output)
    assert (doc["apiVersion"], doc["kind"], doc["name"]) == ("kind.x-k8s.io/v1alpha4", "Cluster", "kubeflow")
    [node] = doc["nodes"]
    assert (node["role"], node["image"]) == ("control-plane", "kindest/node:v1.34.0")
    assert node["extraPortMappings"] == [
        {"containerPort": 30443, "hostPort": 8443, "listenAddress": "127.0.0.1", "protocol": "TCP"}
    ]
    out = tmp_path / "kind.yaml"
    assert runner.invoke(app, ["kind-config", "--profile", "kind", "--out", str(out)]).exit_code == 0
    assert yaml.safe_load(out.read_text()) == yaml.safe_load(result.output)
    bad = runner.invoke(app, ["kind-config", "--profile", "production"])
    # CliRunner calls the app without main()'s handler: the BadInput itself, which main() exits 2 with.
    assert isinstance(bad.exception, BadInput) and bad.exception.exit_code == 2
    assert str(bad.exception) == "--profile: profile 'production' is for cluster.provider 'kubeadm', not kind"


# --- doctor ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "raised"),
    [
        (
            {"fs.inotify.max_user_instances": 128, "fs.inotify.max_user_watches": 8192},
            ["fs.inotify.max_user_instances=2280", "fs.inotify.max_user_watches=1255360"],
        ),
        ({"fs.inotify.max_user_instances": 2280, "fs.inotify.max_user_watches": 2_000_000}, []),  # never lowered
        (
            {"fs.inotify.max_user_instances": 8192, "fs.inotify.max_user_watches": 524288},
            ["fs.inotify.max_user_watches=1255360"],
        ),
        ({"fs.inotify.max_user_instances": None, "fs.inotify.max_user_watches": None}, []),  # unreadable: left alone
    ],
)
def test_inotify_decision(current: dict[str, int | None], raised: list[str]) -> None:
    assert [c.assignment for c in sysctl_changes(current)] == raised


def test_read_sysctl_reads_proc_and_tolerates_absence(tmp_path: Path) -> None:
    (tmp_path / "fs" / "inotify").mkdir(parents=True)
    (tmp_path / "fs" / "inotify" / "max_user_instances").write_text("128\n")
    assert read_sysctl("fs.inotify.max_user_instances", tmp_path) == 128
    assert read_sysctl("fs.inotify.max_user_watches", tmp_path) is None


def _which(present: set[str]):  # type: ignore[no-untyped-def]
    return lambda name: f"/usr/bin/{name}" if name in present else None


def _low(_key: str) -> int:
    return 1


def test_laptop_without_a_container_engine_cannot_run_make_up() -> None:
    report = laptop_report(_which({"kind", "kubectl", "pulumi"}), _low)
    assert not report.ok
    assert report.engine is None
    assert any("docker or podman" in p for p in report.problems())
    assert [c.key for c in report.sysctl] == list(INOTIFY_MINIMUMS)


def test_laptop_with_podman_only_and_missing_tools() -> None:
    report = laptop_report(_which({"podman", "kubectl"}), lambda _k: 10**7)
    assert report.engine == "podman"
    assert report.missing == ["kind", "pulumi"]
    assert not report.ok and report.sysctl == []


def test_the_asked_for_engine_wins() -> None:
    assert (
        laptop_report(_which({"docker", "podman", "kind", "kubectl", "pulumi"}), _low, engine="podman").engine
        == "podman"
    )
    assert laptop_report(_which({"docker", "kind", "kubectl", "pulumi"}), _low, engine="podman").engine is None
    assert laptop_report(_which({"docker", "podman", "kind", "kubectl", "pulumi"}), _low).ok
