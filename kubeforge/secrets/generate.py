"""Replace upstream's literal credentials with per-install generated values.

Each generated key names a value id; two Secrets that must agree (Dex's client secret and
oauth2-proxy's) share the id. On kind the values come from the state folder's store and are written
into the render. Elsewhere they are left out of the render entirely and the Secret carries only the
annotation `kubeforge.io/generated-secret: key=value-id,...`: the Pulumi program fills them from
pulumi-random, held as secrets; a GitOps user fills them from a secret manager.
"""

from __future__ import annotations

import base64
import fnmatch
from dataclasses import dataclass

from kubeforge.k8s import KObj, annotations_of, name_of, namespace_of
from kubeforge.names import FILL_ANNOTATION, GENERATED_SECRET_ANNOTATION
from kubeforge.secrets.store import SecretStore


@dataclass(frozen=True)
class Generated:
    namespace: str
    name: str  # fnmatch pattern: kustomize appends a content hash to generated Secret names
    keys: tuple[tuple[str, str], ...]  # (key in the Secret, shared value id)


GENERATED: tuple[Generated, ...] = (
    Generated("auth", "dex-oidc-client", (("OIDC_CLIENT_SECRET", "oidc-client-secret"),)),
    Generated(
        "oauth2-proxy",
        "oauth2-proxy-*",
        (("client-secret", "oidc-client-secret"), ("cookie-secret", "oauth2-proxy-cookie-secret")),
    ),
    Generated("kubeflow", "katib-mysql-secrets", (("MYSQL_ROOT_PASSWORD", "katib-mysql-root-password"),)),
    Generated(
        "kubeflow",
        "model-registry-db-secrets",
        (("MYSQL_PASSWORD", "model-registry-db-password"), ("MYSQL_ROOT_PASSWORD", "model-registry-db-root-password")),
    ),
    # KFP's own MySQL user (kubeforge.isolation.databases); root's password is in mysql-root.
    Generated("kubeflow", "mysql-secret", (("password", "kfp-mysql-password"),)),
    Generated(
        "kubeflow",
        "mlpipeline-minio-artifact",
        (("accesskey", "kfp-s3-access-key"), ("secretkey", "kfp-s3-secret-key")),
    ),
)


def team_artifact_keys(team: str) -> tuple[tuple[str, str], ...]:
    """A team's own SeaweedFS key: value ids per team, never the platform's `kfp-s3-*` (Admin) key."""
    return (("accesskey", f"kfp-s3-access-key.{team}"), ("secretkey", f"kfp-s3-secret-key.{team}"))


def parse_annotation(value: str) -> dict[str, str]:
    """`key=value-id,...` -> {key: value id}."""
    out = {}
    for part in value.split(","):
        key, _, value_id = part.partition("=")
        if key and value_id:
            out[key.strip()] = value_id.strip()
    return out


def value_ids(obj: KObj) -> dict[str, str]:
    """{key: value id} of a Secret whose values kubeforge generates ({} for any other Secret)."""
    return dict(_keys_for(obj))


def _keys_for(obj: KObj) -> tuple[tuple[str, str], ...]:
    ann = annotations_of(obj)
    if FILL_ANNOTATION in ann:
        return team_artifact_keys(namespace_of(obj) or "")
    if ann.get(GENERATED_SECRET_ANNOTATION):  # kubeforge's own Secrets declare their keys
        return tuple(parse_annotation(str(ann[GENERATED_SECRET_ANNOTATION])).items())
    for entry in GENERATED:
        if namespace_of(obj) == entry.namespace and fnmatch.fnmatchcase(name_of(obj), entry.name):
            return entry.keys
    return ()


def generate_secrets(objects: list[KObj], *, kind: bool, store: SecretStore | None) -> list[KObj]:
    for obj in objects:
        if obj.get("kind") == "Secret":
            keys = _keys_for(obj)
            if keys:
                _generate(obj, keys, kind=kind, store=store)
    return objects


def _generate(obj: KObj, keys: tuple[tuple[str, str], ...], *, kind: bool, store: SecretStore | None) -> None:
    data = dict(obj.get("data") or {})
    string_data = obj.pop("stringData", None) or {}
    for key, value in string_data.items():  # one representation: data, base64
        data[key] = base64.b64encode(str(value).encode()).decode()
    for key, value_id in keys:
        if kind and store is not None:
            data[key] = base64.b64encode(store.generated(value_id).encode()).decode()
        else:
            data.pop(key, None)
    if data:
        obj["data"] = dict(sorted(data.items()))
    else:
        obj.pop("data", None)
    meta = obj.setdefault("metadata", {})
    annotations = meta.get("annotations") or {}
    annotations.pop(FILL_ANNOTATION, None)
    annotations[GENERATED_SECRET_ANNOTATION] = ",".join(f"{k}={v}" for k, v in keys)
    meta["annotations"] = annotations
