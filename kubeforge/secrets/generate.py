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

from kubeforge.k8s import KObj, annotations_of, name_of, namespace_of, pod_spec
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
    Generated("kubeflow", "model-registry-db-secrets", (("MYSQL_ROOT_PASSWORD", "model-registry-db-root-password"),)),
    Generated("kubeflow", "mysql-secret", (("password", "kfp-mysql-root-password"),)),
    Generated(
        "kubeflow",
        "mlpipeline-minio-artifact",
        (("accesskey", "kfp-s3-access-key"), ("secretkey", "kfp-s3-secret-key")),
    ),
)
# Team artifact Secrets share the platform's S3 identity: SeaweedFS users per team are created at runtime upstream.
TEAM_ARTIFACT = (("accesskey", "kfp-s3-access-key"), ("secretkey", "kfp-s3-secret-key"))


def _keys_for(obj: KObj) -> tuple[tuple[str, str], ...]:
    if FILL_ANNOTATION in annotations_of(obj):
        return TEAM_ARTIFACT
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
        elif obj.get("kind") == "Deployment" and namespace_of(obj) == "kubeflow" and name_of(obj) == "mysql":
            _require_root_password(obj)
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


def _require_root_password(obj: KObj) -> None:
    """KFP's MySQL runs with an empty root password; give it the generated one from mysql-secret."""
    for container in (pod_spec(obj) or {}).get("containers") or []:
        env = [
            e
            for e in container.get("env") or []
            if e.get("name") not in ("MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_ROOT_PASSWORD")
        ]
        env.append(
            {"name": "MYSQL_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "mysql-secret", "key": "password"}}}
        )
        container["env"] = env
