"""Dex and oauth2-proxy from the spec; the kind password generated once, only its hash stored."""

from __future__ import annotations

import copy
import json
import stat
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml
from harness import find

from kubeforge.errors import BadInput
from kubeforge.identity import FileSecretStore, configure_identity
from kubeforge.k8s import KObj
from kubeforge.spec.load import load_spec

UPSTREAM_DEX = {
    "issuer": "http://dex.auth.svc.cluster.local:5556/dex",
    "enablePasswordDB": True,
    "staticPasswords": [{"email": "user@example.com", "hashFromEnv": "DEX_USER_PASSWORD", "username": "user"}],
    "staticClients": [
        {
            "idEnv": "OIDC_CLIENT_ID",
            "redirectURIs": ["/oauth2/callback"],
            "name": "Dex",
            "secretEnv": "OIDC_CLIENT_SECRET",
        }
    ],
}
UPSTREAM_HASH = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72"  # upstream's 12341234


def _objects() -> list[KObj]:
    labels = {"kubeforge.io/component": "dex"}
    dex_container = {"name": "dex", "image": "dex", "env": [{"name": "KUBERNETES_POD_NAMESPACE", "value": "x"}]}
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "dex", "namespace": "auth", "labels": labels},
            "data": {"config.yaml": yaml.safe_dump(UPSTREAM_DEX)},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "dex-passwords", "namespace": "auth", "labels": labels},
            "stringData": {"DEX_USER_PASSWORD": UPSTREAM_HASH},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "dex", "namespace": "auth", "labels": labels},
            "spec": {"template": {"spec": {"containers": [dex_container]}}},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "oauth2-proxy-abc", "namespace": "oauth2-proxy"},
            "data": {"oauth2_proxy.cfg": 'provider = "oidc"\n'},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "oauth2-proxy-parameters-x", "namespace": "oauth2-proxy"},
            "data": {"FORCE_HTTPS": "false"},
        },
    ]


def _dex(objs: list[KObj]) -> dict[str, Any]:
    return yaml.safe_load(find(objs, "ConfigMap", "dex")["data"]["config.yaml"])


def test_kind_password_generated_once_hash_only_0600(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path, "kubeflow")
    first = store.kind_password_hash("user@example.com")
    password = store.new_passwords["user@example.com"]
    assert password != "12341234" and len(password) >= 20
    assert bcrypt.checkpw(password.encode(), first.encode())
    path = tmp_path / "kubeflow" / "dex-users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password not in path.read_text() and json.loads(path.read_text()) == {"user@example.com": first}
    again = FileSecretStore(tmp_path, "kubeflow")
    assert again.kind_password_hash("user@example.com") == first and again.new_passwords == {}


def test_kind_render_is_byte_identical_and_never_plain_text(tmp_path: Path) -> None:
    spec = load_spec("kind")
    store = FileSecretStore(tmp_path)
    objects = _objects()
    pristine = copy.deepcopy(objects)
    first = configure_identity(spec, objects, store)
    password = store.new_passwords["user@example.com"]
    second = configure_identity(spec, objects, FileSecretStore(tmp_path))
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert objects == pristine  # input untouched
    dumped = json.dumps(first)
    assert password not in dumped and UPSTREAM_HASH not in dumped
    secret = find(first, "Secret", "dex-passwords")["stringData"]
    assert bcrypt.checkpw(password.encode(), secret["DEX_USER_PASSWORD_0"].encode())
    config = _dex(first)
    assert config["staticPasswords"] == [
        {
            "email": "user@example.com",
            "username": "user",
            "userID": config["staticPasswords"][0]["userID"],
            "hashFromEnv": "DEX_USER_PASSWORD_0",
        }
    ]
    assert find(first, "ConfigMap", "dex")["metadata"]["labels"] == {"kubeforge.io/component": "dex"}


def test_redirect_uris_always_registered(tmp_path: Path) -> None:
    uris = _dex(configure_identity(load_spec("kind"), _objects(), FileSecretStore(tmp_path)))["staticClients"][0][
        "redirectURIs"
    ]
    assert {
        "/oauth2/callback",
        "https://localhost:8443/oauth2/callback",
        "http://localhost:8080/oauth2/callback",
    } <= set(uris)
    prod = _dex(configure_identity(load_spec("production"), _objects(), FileSecretStore(tmp_path)))
    assert "https://kubeflow.example.com/oauth2/callback" in prod["staticClients"][0]["redirectURIs"]


def test_production_connectors_no_static_users(tmp_path: Path) -> None:
    objs = configure_identity(load_spec("production"), _objects(), FileSecretStore(tmp_path))
    config = _dex(objs)
    assert config["enablePasswordDB"] is False and "staticPasswords" not in config
    (oidc,) = config["connectors"]
    assert oidc["type"] == "oidc" and oidc["config"]["issuer"] == "https://sso.example.com"
    assert oidc["config"]["clientSecret"].startswith("$KUBEFORGE_") and oidc["config"]["claimMapping"] == {
        "groups": "groups"
    }
    env = find(objs, "Deployment", "dex")["spec"]["template"]["spec"]["containers"][0]["env"]
    refs = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in env}
    assert {"name": "dex-oidc-client", "key": "client-secret"} in refs.values()
    assert find(objs, "Secret", "dex-passwords")["stringData"] == {}
    assert find(objs, "ConfigMap", "oauth2-proxy-parameters-x")["data"]["FORCE_HTTPS"] == "true"
    assert (
        'whitelist_domains = [ "kubeflow.example.com" ]'
        in find(objs, "ConfigMap", "oauth2-proxy-abc")["data"]["oauth2_proxy.cfg"]
    )


def test_ldap_and_github_connectors(tmp_path: Path) -> None:
    data = load_spec("production").model_dump(mode="json")
    data["identity"]["connectors"] = [
        {
            "type": "ldap",
            "id": "corp",
            "name": "LDAP",
            "host": "ldap.example.com:636",
            "bind_dn": "cn=svc",
            "bind_password_ref": "ldap/password",
            "user_base_dn": "ou=people",
            "group_base_dn": "ou=groups",
        },
        {
            "type": "github",
            "id": "gh",
            "name": "GitHub",
            "client_id": "id",
            "client_secret_ref": "gh/secret",
            "orgs": ["acme"],
        },
    ]
    from kubeforge.spec.model import PlatformSpec

    config = _dex(configure_identity(PlatformSpec.model_validate(data), _objects(), FileSecretStore(tmp_path)))
    ldap, gh = config["connectors"]
    assert (
        ldap["config"]["bindPW"] == "$KUBEFORGE_LDAP_PASSWORD"
        and ldap["config"]["groupSearch"]["baseDN"] == "ou=groups"
    )
    assert gh["config"]["orgs"] == [{"name": "acme"}]


def test_bad_secret_ref_is_bad_input(tmp_path: Path) -> None:
    data = load_spec("production").model_dump(mode="json")
    data["identity"]["connectors"][0]["client_secret_ref"] = "no-key"
    from kubeforge.spec.model import PlatformSpec

    with pytest.raises(BadInput, match=r"identity\.connectors\.0\.client_secret_ref"):
        configure_identity(PlatformSpec.model_validate(data), _objects(), FileSecretStore(tmp_path))
