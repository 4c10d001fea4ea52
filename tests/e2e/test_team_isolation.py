"""Issue 15 on a real kube-apiserver: the two-team production render's tenancy objects (team
Namespaces, service accounts, every ClusterRole with aggregation done by the real controller-manager,
the team RoleBindings, the ValidatingAdmissionPolicies and their bindings) applied server-side, then
each refusal made by the API server itself, with real tokens from the TokenRequest API.

Which layer refuses is asserted from the API server's own message: RBAC says `cannot create resource`,
the admission baseline names its ValidatingAdmissionPolicy. Nothing here runs a data plane (no pods,
no CNI): what a NetworkPolicy would do once admitted is proven by `kubeforge check`, not here.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.harness.cluster import Cluster
from e2e.harness.live import apply, kubectl
from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.spec.model import PlatformSpec
from tests.isolation.conftest import TWO_TEAMS

NETWORK_BASELINE = "ValidatingAdmissionPolicy 'kubeforge-team-network-baseline'"
ROLE_BINDING_BASELINE = "ValidatingAdmissionPolicy 'kubeforge-team-role-bindings'"
TENANCY_KINDS = ("Namespace", "ServiceAccount", "ClusterRole", "RoleBinding")
ADMISSION_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")


@pytest.fixture(scope="module")
def two_teams(tmp_path_factory: pytest.TempPathFactory, source_cache: Path) -> tuple[PlatformSpec, list[KObj]]:
    from kubeforge.identity import FileSecretStore
    from kubeforge.render import render_platform
    from kubeforge.spec.load import load_spec

    tmp = tmp_path_factory.mktemp("two-teams")
    (tmp / "two-teams.yaml").write_text(yaml.safe_dump(TWO_TEAMS))
    spec = load_spec("production", [tmp / "two-teams.yaml"])
    return spec, render_platform(spec, cache=source_cache, secrets=FileSecretStore(tmp / "secrets")).objects


def _eventually(check: Any, what: str, timeout: float = 60) -> None:
    """The policy and aggregation informers settle within seconds; fail (never skip) after `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what}")
        time.sleep(1)


@pytest.fixture(scope="module")
def tenancy(cluster: Cluster, two_teams: tuple[PlatformSpec, list[KObj]]) -> Cluster:
    """The render's tenancy and admission objects on the control plane, settled."""
    _, objects = two_teams
    teams = {"alpha", "beta"}
    tenancy = [
        o
        for o in objects
        if o["kind"] == "ClusterRole"
        or (o["kind"] == "Namespace" and name_of(o) in teams)
        or (o["kind"] in ("ServiceAccount", "RoleBinding") and namespace_of(o) in teams)
    ]
    assert {o["kind"] for o in tenancy} == set(TENANCY_KINDS)
    # Namespaces first: monitoring's discovery RoleBindings in team namespaces come before the teams' objects.
    apply(cluster.kubeconfig, [o for o in tenancy if o["kind"] == "Namespace"])
    apply(cluster.kubeconfig, [o for o in tenancy if o["kind"] != "Namespace"])
    admission = [o for o in objects if o["kind"] in ADMISSION_KINDS]
    assert len(admission) == 4
    apply(cluster.kubeconfig, admission)
    editor = "--as=system:serviceaccount:alpha:default-editor"
    _eventually(
        lambda: (
            kubectl(cluster.kubeconfig, "auth", "can-i", "create", "pods", "-n", "alpha", editor).stdout.strip()
            == "yes"
        ),
        "kubeflow-edit aggregated by the controller-manager",
    )
    # Settled once a RoleBinding to a foreign ClusterRole is refused by the baseline (admin is allowed by RBAC).
    # The probe binds nobody real, and is removed if it got in before the policies were in force.
    probe = _role_binding("alpha", "settle", "ClusterRole", "edit", "nobody.settle@example.invalid")

    def refused() -> bool:
        if ROLE_BINDING_BASELINE in _create(cluster.kubeconfig, probe).stderr:
            return True
        kubectl(cluster.kubeconfig, "delete", "rolebinding", "settle", "-n", "alpha", "--ignore-not-found")
        return False

    _eventually(refused, "the ValidatingAdmissionPolicies in force")
    return cluster


def _token_kubeconfig(cluster: Cluster, namespace: str, account: str, out: Path) -> Path:
    """A kubeconfig holding only a real token of the service account (TokenRequest API), no client cert."""
    token = cluster.kubectl("create", "token", account, "-n", namespace, "--duration=1h").strip()
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": admin["clusters"],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": account, "context": {"cluster": admin["clusters"][0]["name"], "user": account}}],
        "current-context": account,
    }
    path = out / f"{namespace}-{account}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def _netpol(namespace: str, name: str, **spec: Any) -> KObj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"podSelector": {}, **spec},
    }


def _role_binding(namespace: str, name: str, kind: str, role: str, user: str) -> KObj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
        "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}],
    }


def _create(kubeconfig: Path, obj: KObj, *extra: str) -> subprocess.CompletedProcess[str]:
    return kubectl(kubeconfig, "create", *extra, "-f", "-", stdin=json.dumps(obj))


WIDE_EGRESS = {"policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}


def test_team_editor_token_is_refused_network_policies_by_rbac(tenancy: Cluster, tmp_path: Path) -> None:
    editor = _token_kubeconfig(tenancy, "alpha", "default-editor", tmp_path)
    # The token works: the editor writes what its role allows.
    made = _create(
        editor, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mine", "namespace": "alpha"}}
    )
    assert made.returncode == 0, made.stderr
    for policy in (
        _netpol("alpha", "open-egress", **WIDE_EGRESS),
        _netpol("alpha", "own-namespace", egress=[{"to": [{"podSelector": {}}]}]),
    ):
        out = _create(editor, policy)
        assert out.returncode != 0
        assert 'cannot create resource "networkpolicies"' in out.stderr, out.stderr
    # Nor can it delete or patch the team's default-deny (RBAC, before any admission).
    out = kubectl(editor, "delete", "networkpolicy", "--all", "-n", "alpha")
    assert 'cannot delete resource "networkpolicies"' in out.stderr or "No resources found" in out.stdout + out.stderr
    can = kubectl(editor, "auth", "can-i", "delete", "networkpolicies", "-n", "alpha")
    assert can.stdout.strip() == "no"
    for resource in ("endpoints", "endpointslices.discovery.k8s.io"):
        assert kubectl(editor, "auth", "can-i", "create", resource, "-n", "alpha").stdout.strip() == "no"


def test_the_baseline_refuses_a_widening_policy_from_a_principal_rbac_allows(tenancy: Cluster, tmp_path: Path) -> None:
    writer_role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "netpol-writer", "namespace": "alpha"},
        "rules": [
            {
                "apiGroups": ["networking.k8s.io"],
                "resources": ["networkpolicies"],
                "verbs": ["create", "update", "delete"],
            }
        ],
    }
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "netpol-writer", "namespace": "alpha"},
    }
    binding = _role_binding("alpha", "netpol-writer", "Role", "netpol-writer", "unused")
    binding["subjects"] = [{"kind": "ServiceAccount", "name": "netpol-writer", "namespace": "alpha"}]
    apply(tenancy.kubeconfig, [account, writer_role, binding])  # a Role of the namespace's own: the baseline admits it
    writer = _token_kubeconfig(tenancy, "alpha", "netpol-writer", tmp_path)
    assert kubectl(writer, "auth", "can-i", "create", "networkpolicies", "-n", "alpha").stdout.strip() == "yes"
    kubeflow = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kubeflow"}}}
    refused = {
        "internet without internet: true": _netpol("alpha", "w1", **WIDE_EGRESS),
        "another team": _netpol(
            "alpha",
            "w2",
            egress=[{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "beta"}}}]}],
        ),
        "every namespace": _netpol("alpha", "w3", ingress=[{"from": [{"namespaceSelector": {}}]}]),
        "any peer": _netpol("alpha", "w4", egress=[{}]),
        "cloud metadata": _netpol("alpha", "w5", egress=[{"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}]}]),
    }
    for why, policy in refused.items():
        out = _create(writer, policy)
        assert out.returncode != 0, why
        assert NETWORK_BASELINE in out.stderr and "beyond the team's allow-list" in out.stderr, (why, out.stderr)
    admitted = {
        "own namespace": _netpol("alpha", "a1", egress=[{"to": [{"podSelector": {}}]}]),
        "platform namespace": _netpol("alpha", "a2", egress=[{"to": [kubeflow]}]),
        "the allow-list": _netpol("alpha", "a3", egress=[{"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]}]),
    }
    for why, policy in admitted.items():
        out = _create(writer, policy)
        assert out.returncode == 0, (why, out.stderr)
    # An update that widens an admitted policy is refused as well.
    widened = _netpol("alpha", "a1", **WIDE_EGRESS)
    out = kubectl(writer, "replace", "-f", "-", stdin=json.dumps(widened))
    assert out.returncode != 0 and NETWORK_BASELINE in out.stderr, out.stderr


def test_internet_rule_must_keep_excluding_private_and_link_local_ranges(tenancy: Cluster) -> None:
    # beta has internet: true; even the cluster admin (RBAC allows everything) goes through the baseline.
    out = _create(tenancy.kubeconfig, _netpol("beta", "no-except", **WIDE_EGRESS))
    assert out.returncode != 0 and NETWORK_BASELINE in out.stderr, out.stderr
    ns = json.loads(tenancy.kubectl("get", "namespace", "beta", "-o", "json"))
    excepts = ns["metadata"]["annotations"]["kubeforge.io/internet-except"].split(",")
    v4 = [e for e in excepts if ":" not in e]
    internet = _netpol(
        "beta", "internet", policyTypes=["Egress"], egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": v4}}]}]
    )
    out = _create(tenancy.kubeconfig, internet)
    assert out.returncode == 0, out.stderr


def test_role_bindings_to_foreign_cluster_roles_are_refused(tenancy: Cluster) -> None:
    out = _create(
        tenancy.kubeconfig, _role_binding("alpha", "rb1", "ClusterRole", "cluster-admin", "mallory@example.com")
    )
    assert out.returncode != 0 and ROLE_BINDING_BASELINE in out.stderr, out.stderr
    out = _create(tenancy.kubeconfig, _role_binding("alpha", "rb2", "ClusterRole", "kubeflow-view", "vic@example.com"))
    assert out.returncode == 0, out.stderr


def test_viewers_are_refused_writes(tenancy: Cluster, tmp_path: Path) -> None:
    viewer = _token_kubeconfig(tenancy, "alpha", "default-viewer", tmp_path)
    assert kubectl(viewer, "get", "serviceaccounts", "-n", "alpha").returncode == 0  # reads work
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "viewer", "namespace": "alpha"}}
    out = _create(viewer, cm)
    assert out.returncode != 0 and 'cannot create resource "configmaps"' in out.stderr, out.stderr
    out = kubectl(viewer, "delete", "serviceaccount", "default-editor", "-n", "alpha")
    assert out.returncode != 0 and 'cannot delete resource "serviceaccounts"' in out.stderr, out.stderr
    # The team's viewers by name (a User in the render's RoleBinding), impersonated by the admin.
    for user in ("avery@example.com", "group-viewer"):
        args = ["--as=avery@example.com"] if user == "avery@example.com" else ["--as=someone", "--as-group=alpha-audit"]
        out = _create(tenancy.kubeconfig, {**cm, "metadata": {"name": f"v-{len(args)}", "namespace": "alpha"}}, *args)
        assert out.returncode != 0 and 'cannot create resource "configmaps"' in out.stderr, (user, out.stderr)
        assert kubectl(tenancy.kubeconfig, "auth", "can-i", "get", "pods", "-n", "alpha", *args).stdout.strip() == "yes"
        assert (
            kubectl(tenancy.kubeconfig, "auth", "can-i", "create", "pods/exec", "-n", "alpha", *args).stdout.strip()
            == "no"
        )
        assert kubectl(tenancy.kubeconfig, "auth", "can-i", "get", "pods", "-n", "beta", *args).stdout.strip() == "no"
