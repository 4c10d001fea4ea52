"""The cni role's Calico: pinned by the release lock, IP pool = kubeadm's pod subnet, objects schema-valid.

Calico's images are unreachable here, so it cannot run: its objects (with the role's patch applied by
`kubectl kustomize`, as the role's `kubectl apply -k` does) are checked against the strict Kubernetes
1.34 schemas and Calico's own CRDs instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess

import jinja2
import pytest
import yaml

from kubeforge.check.validate import validate_objects

ROOT = pathlib.Path(__file__).resolve().parents[2]
MIRROR = pathlib.Path(os.environ.get("KUBEFORGE_MIRROR", ROOT.parent / "shared" / "upstream"))
CALICO = MIRROR / "projectcalico" / "calico" / "v3.32.1" / "manifests" / "calico.yaml"


def _defaults(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


@pytest.fixture(scope="module")
def calico() -> pathlib.Path:
    if not CALICO.is_file():
        pytest.fail(f"Calico v3.32.1 missing at {CALICO} (set KUBEFORGE_MIRROR)")
    return CALICO


@pytest.mark.parametrize("release", ["26.03", "v1.11.0"])
def test_lock_pins_the_mirrors_calico(calico, release):
    source = json.loads((ROOT / "manifests" / release / "lock.json").read_text())["sources"]["calico"]
    assert (source["repo"], source["tag"]) == ("projectcalico/calico", "v3.32.1")
    assert source["files"] == {"manifests/calico.yaml": hashlib.sha256(calico.read_bytes()).hexdigest()}


def test_pod_subnet_defaults_agree():
    # cni_pod_subnet reads kubeadm's variable; its fallback must be kubeadm's own default.
    fallback = _defaults("kubeadm_control_plane")["kubeadm_control_plane_pod_subnet"]
    assert _defaults("cni")["cni_pod_subnet"] == f"{{{{ kubeadm_control_plane_pod_subnet | default('{fallback}') }}}}"


@pytest.fixture(scope="module")
def built(calico, tmp_path_factory) -> list[dict]:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl (with its built-in kustomize) is needed on PATH")
    work = tmp_path_factory.mktemp("calico")
    shutil.copy(calico, work / "calico.yaml")
    template = (ROOT / "roles" / "cni" / "templates" / "kustomization.yaml.j2").read_text()
    subnet = _defaults("kubeadm_control_plane")["kubeadm_control_plane_pod_subnet"]
    rendered = jinja2.Template(template, undefined=jinja2.StrictUndefined).render(
        ansible_managed="Ansible managed", cni_pod_subnet=subnet
    )
    (work / "kustomization.yaml").write_text(rendered)
    out = subprocess.run(["kubectl", "kustomize", str(work)], capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def _calico_node(objects: list[dict]) -> dict:
    return next(o for o in objects if o["kind"] == "DaemonSet" and o["metadata"]["name"] == "calico-node")


def test_ip_pool_is_kubeadms_pod_subnet(built):
    env = {e["name"]: e.get("value") for e in _calico_node(built)["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["CALICO_IPV4POOL_CIDR"] == _defaults("kubeadm_control_plane")["kubeadm_control_plane_pod_subnet"]
    # Upstream leaves it unset (commented out): without the patch Calico would pick its own pool.
    assert "CALICO_IPV4POOL_CIDR" not in yaml.safe_dump(
        _calico_node([d for d in yaml.safe_load_all(CALICO.read_text()) if d])
    )


def test_only_the_pool_changes(built, calico):
    upstream = [d for d in yaml.safe_load_all(calico.read_text()) if d]
    assert len(built) == len(upstream)
    assert {(o["kind"], o["metadata"]["name"]) for o in built} == {(o["kind"], o["metadata"]["name"]) for o in upstream}


def test_objects_are_schema_valid(built):
    assert [str(f) for f in validate_objects(built, "1.34") if f.severity == "error"] == []


def test_calico_enforces_network_policy(built):
    # The policy controller and the per-node agent are what make NetworkPolicies real.
    kinds = {(o["kind"], o["metadata"]["name"]) for o in built}
    assert ("Deployment", "calico-kube-controllers") in kinds
    assert ("DaemonSet", "calico-node") in kinds
