"""Pure parts of the stack: generated-secret detection, retention and config (no Pulumi runtime)."""

from __future__ import annotations

import base64

import pytest

from kubeforge.errors import BadInput
from kubeforge.names import GENERATED_SECRET_ANNOTATION
from stacks.config import StackConfig, kube_target, read_config
from stacks.generated import (
    PLACEHOLDER_HASH,
    UPSTREAM_DEFAULT_HASH,
    GeneratedKey,
    PendingPasswordStore,
    generated_secrets,
    parse_annotation,
)
from stacks.plan import _retained, team_of


def _secret(ns: str, name: str, annotations: dict[str, str] | None = None, **fields: object) -> dict[str, object]:
    meta: dict[str, object] = {"name": name, "namespace": ns}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, **fields}


def test_annotation_names_generators_and_bcrypt() -> None:
    assert parse_annotation("a=x, b=y/bcrypt", "s") == {"a": GeneratedKey("x"), "b": GeneratedKey("y", bcrypt=True)}
    with pytest.raises(ValueError, match="is not <key>=<value id>"):
        parse_annotation("just-a-name", "s")
    assert parse_annotation("a=x,", "s") == {"a": GeneratedKey("x")}


def test_engine_annotation_names_the_generated_keys_and_shared_values() -> None:
    dex = _secret(
        "auth",
        "dex-oidc-client",
        {GENERATED_SECRET_ANNOTATION: "OIDC_CLIENT_SECRET=oidc-client-secret"},
        data={"OIDC_CLIENT_ID": "aWQ="},
    )
    proxy = _secret(
        "oauth2-proxy",
        "oauth2-proxy-abc",
        {GENERATED_SECRET_ANNOTATION: "client-secret=oidc-client-secret,cookie-secret=cookie"},
    )
    found = generated_secrets([dex, proxy])
    assert found[0]["OIDC_CLIENT_SECRET"] == found[1]["client-secret"] == GeneratedKey("oidc-client-secret")
    assert set(found[1]) == {"client-secret", "cookie-secret"}


def test_pending_store_values_are_recognisable_placeholders() -> None:
    store = PendingPasswordStore()
    assert store.kind_password_hash("a@example.com") == PLACEHOLDER_HASH
    assert store.generated("x") == "kubeforge-pulumi-generates:x"


def test_dex_hashes_are_generated_only_where_placeholder_or_upstream_default() -> None:
    config = "staticPasswords:\n- email: a@example.com\n  hashFromEnv: P0\n- email: b@example.com\n  hashFromEnv: P1\n"
    dex_cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "dex", "namespace": "auth"},
        "data": {"config.yaml": config},
    }
    users_own = "$2y$10$" + "u" * 53
    secret = _secret(
        "auth", "dex-passwords", stringData={"P0": PLACEHOLDER_HASH, "P1": users_own, "P2": UPSTREAM_DEFAULT_HASH}
    )
    found = generated_secrets([dex_cm, secret])[1]
    assert found == {
        "P0": GeneratedKey("dex-user:a@example.com", bcrypt=True),
        "P2": GeneratedKey("dex-user:P2", bcrypt=True),
    }


def test_secrets_without_credentials_are_left_in_their_group() -> None:
    objs = [
        _secret("kubeflow", "webhook-certs"),
        _secret("kubeflow", "mysql-secret", data={"username": base64.b64encode(b"root").decode()}),
    ]
    assert generated_secrets(objs) == {}


def test_retention_rules() -> None:
    sts = {
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}},
    }
    assert _retained(sts, set())
    assert not _retained({**sts, "spec": {}}, set())  # claims are kept by Kubernetes' default policy
    assert _retained({"kind": "Namespace", "metadata": {"name": "team-a"}}, {"team-a"})
    assert not _retained({"kind": "Namespace", "metadata": {"name": "istio-system"}}, {"team-a"})
    assert _retained({"kind": "Profile", "metadata": {"name": "team-a"}}, set())
    assert not _retained({"kind": "Deployment", "metadata": {"name": "x"}}, set())


def test_team_of_uses_label_then_namespace_then_name() -> None:
    teams = {"a", "b"}
    assert (
        team_of(
            {
                "kind": "RoleBinding",
                "metadata": {"name": "x", "namespace": "kubeflow", "labels": {"kubeforge.io/team": "a"}},
            },
            teams,
        )
        == "a"
    )
    assert team_of({"kind": "RoleBinding", "metadata": {"name": "x", "namespace": "b"}}, teams) == "b"
    assert team_of({"kind": "Profile", "metadata": {"name": "a"}}, teams) == "a"
    assert team_of({"kind": "ClusterRole", "metadata": {"name": "a"}}, teams) is None


def test_config_needs_a_profile_and_an_object_spec() -> None:
    values = {"profile": "kind", "context": None, "kubeconfig": "~/k"}
    cfg = read_config(values.get, lambda _k: {"teams": []})
    assert cfg.profile == "kind" and cfg.spec == {"teams": []} and not cfg.kubeconfig.startswith("~")  # type: ignore[union-attr]
    with pytest.raises(BadInput, match="kubeforge:profile"):
        read_config(lambda _k: None, lambda _k: None)
    with pytest.raises(BadInput, match="kubeforge:spec"):
        read_config(values.get, lambda _k: ["not", "an", "object"])


def test_stack_config_wins_over_the_spec_cluster_target() -> None:
    assert kube_target(StackConfig("kind", context="a"), "b", "/k") == ("a", "/k")
    assert kube_target(StackConfig("kind"), "b", None) == ("b", None)
    assert kube_target(StackConfig("kind", kubeconfig="/x"), None, "/k") == (None, "/x")


def test_stack_files_load_and_the_kind_stack_targets_the_kind_cluster() -> None:
    from pathlib import Path

    import yaml

    from kubeforge.spec import load_spec

    root = Path(__file__).resolve().parents[2]
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    assert (project["name"], project["main"], project["runtime"]["name"]) == ("kubeforge", "stacks/", "python")
    assert (root / project["main"] / "__main__.py").is_file()
    kind = yaml.safe_load((root / "Pulumi.kind.yaml").read_text())["config"]
    spec = load_spec(kind["kubeforge:profile"], extra=kind.get("kubeforge:spec"))
    assert kind["kubeforge:context"] == f"kind-{spec.cluster.name}"  # the context kind creates
    prod = yaml.safe_load((root / "Pulumi.production.yaml").read_text())["config"]
    assert load_spec(prod["kubeforge:profile"], extra=prod["kubeforge:spec"]).teams
