"""Upstream's literal credentials become per-install values: in the kind render, and out of every other."""

from __future__ import annotations

import base64
from pathlib import Path

from kubeforge.identity import FileSecretStore
from kubeforge.k8s import name_of, namespace_of
from kubeforge.names import GENERATED_SECRET_ANNOTATION
from kubeforge.render import Render
from kubeforge.secrets import generate_secrets

UPSTREAM_DEFAULTS = {"minio123", "test", "pUBnBOY80SnXgjibTYM9ZWNzY2xreNGQok", "7d16fee92f8d11b8940b081b3f8b8acb"}


def _secrets(render: Render) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    return {(namespace_of(o) or "", name_of(o)): o for o in render.objects if o["kind"] == "Secret"}


def _decoded(obj: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}


def test_production_render_carries_no_generated_value(production_render: Render) -> None:
    secrets = _secrets(production_render)
    annotated = [o for o in secrets.values() if GENERATED_SECRET_ANNOTATION in (o["metadata"].get("annotations") or {})]
    assert len(annotated) >= 7
    for obj in annotated:
        # The annotation's own format (key=value-id,...), read here without the engine's parser.
        keys = dict(e.split("=", 1) for e in obj["metadata"]["annotations"][GENERATED_SECRET_ANNOTATION].split(","))
        assert not set(keys) & set(obj.get("data") or {}), name_of(obj)
    for obj in secrets.values():
        assert not set(_decoded(obj).values()) & UPSTREAM_DEFAULTS, name_of(obj)
    # KFP connects as its own user; root's generated password lives apart, in mysql-root.
    assert _decoded(secrets[("kubeflow", "mysql-secret")]) == {"username": "kfp"}
    team = production_render.spec.teams[0].name  # each team has its own registry (kubeforge.isolation.registry)
    assert ("kubeflow", "model-registry-db-secrets") not in secrets
    assert _decoded(secrets[(team, "model-registry-db-secrets")]) == {
        "MYSQL_USER": "model-registry",
        "MYSQL_USER_NAME": "model-registry",
    }


def test_kind_render_fills_values_that_agree_where_they_must(kind_render: Render) -> None:
    secrets = _secrets(kind_render)
    dex = _decoded(secrets[("auth", "dex-oidc-client")])
    proxy = next(_decoded(o) for (ns, n), o in secrets.items() if ns == "oauth2-proxy" and n.startswith("oauth2-proxy"))
    assert dex["OIDC_CLIENT_SECRET"] == proxy["client-secret"]
    assert len(proxy["cookie-secret"]) == 32
    platform_s3 = _decoded(secrets[("kubeflow", "mlpipeline-minio-artifact")])
    team = "kubeflow-user-example-com"
    team_s3 = _decoded(secrets[(team, "mlpipeline-minio-artifact")])
    # The team holds its own key, never the platform's Admin key; SeaweedFS's identity store holds its copy.
    assert platform_s3["secretkey"] not in UPSTREAM_DEFAULTS and team_s3["secretkey"] not in UPSTREAM_DEFAULTS
    assert set(platform_s3.values()).isdisjoint(team_s3.values())
    store = _decoded(secrets[("kubeflow", "seaweedfs-team-identities")])
    assert store == {f"{team}.accesskey": team_s3["accesskey"], f"{team}.secretkey": team_s3["secretkey"]}
    for obj in secrets.values():
        assert not set(_decoded(obj).values()) & UPSTREAM_DEFAULTS, name_of(obj)


def test_kfp_mysql_requires_the_generated_root_password(kind_render: Render) -> None:
    mysql = next(o for o in kind_render.objects if o["kind"] == "Deployment" and name_of(o) == "mysql")
    env = {e["name"]: e for e in mysql["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "MYSQL_ALLOW_EMPTY_PASSWORD" not in env
    assert env["MYSQL_ROOT_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "mysql-root", "key": "password"}
    assert env["MYSQL_USER"]["valueFrom"]["secretKeyRef"] == {"name": "mysql-secret", "key": "username"}
    assert env["MYSQL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "mysql-secret", "key": "password"}
    grants = next(o for o in kind_render.objects if o["kind"] == "ConfigMap" and name_of(o) == "mysql-kfp-grants")
    assert grants["data"]["10-kfp-grants.sql"] == (
        "GRANT ALL PRIVILEGES ON `cachedb`.* TO 'kfp'@'%';\nGRANT ALL PRIVILEGES ON `metadb`.* TO 'kfp'@'%';\n"
    )


def test_values_are_stable_per_install_and_differ_between_installs(tmp_path: Path) -> None:
    def secret() -> dict:  # type: ignore[type-arg]
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "katib-mysql-secrets", "namespace": "kubeflow"},
            "data": {"MYSQL_ROOT_PASSWORD": "dGVzdA=="},
        }

    one, two = FileSecretStore(tmp_path / "a"), FileSecretStore(tmp_path / "b")
    first = generate_secrets([secret()], kind=True, store=one)[0]["data"]
    again = generate_secrets([secret()], kind=True, store=FileSecretStore(tmp_path / "a"))[0]["data"]
    other = generate_secrets([secret()], kind=True, store=two)[0]["data"]
    assert first == again and first != other
    assert (tmp_path / "a" / "kubeflow" / "generated.json").stat().st_mode & 0o777 == 0o600
