"""Which rendered Secrets carry generated values, and which generator feeds each key. No Pulumi here.

The engine (kubeforge.secrets) marks them `kubeforge.io/generated-secret: <key>=<value id>,...`; keys that
name the same value id share one password (Dex's and oauth2-proxy's OIDC client secret). A `/bcrypt`
suffix (`<key>=<value id>/bcrypt`) asks for the bcrypt hash of the password instead. Dex's static-user
hashes are not annotated yet: the identity layer writes PLACEHOLDER_HASH (from PendingPasswordStore)
into dex-passwords, and those keys become bcrypt hashes of generated passwords.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import yaml

from kubeforge.k8s import KObj, annotations_of, name_of, namespace_of
from kubeforge.names import GENERATED_SECRET_ANNOTATION, STACK_VALUE_ANNOTATION

BCRYPT = "bcrypt"
_ENTRY = re.compile(r"^\s*([-._A-Za-z0-9]+)\s*=\s*([-._@A-Za-z0-9]+)(?:/(bcrypt))?\s*$")
DEX_NAMESPACE = "auth"
DEX_PASSWORDS_SECRET = "dex-passwords"  # env vars named by Dex's staticPasswords[].hashFromEnv
DEX_USER_PREFIX = "dex-user:"  # generator names of Dex login passwords: dex-user:<email>
# The hash upstream ships for user@example.com (password 12341234): never applied.
UPSTREAM_DEFAULT_HASH = "$2y$12$4K/VkmDd1q1Orb3xAt82zu8gk7Ad6ReFR4LCP9UeYE90NLiN9Df72"
# bcrypt-shaped (it passes the spec's pattern) and replaced before anything is applied.
PLACEHOLDER_HASH = "$2y$12$" + "kubeforgePulumiGeneratesThisPasswordAtApplyTime000000"
PLACEHOLDER_PREFIX = "kubeforge-pulumi-generates:"


@dataclass(frozen=True)
class GeneratedKey:
    generator: str
    bcrypt: bool = False


class PendingPasswordStore:
    """The engine's SecretStore on the Pulumi path: pulumi-random makes every value at apply time.

    The engine writes what this returns into kind renders; the stack replaces each such key (all are
    annotated, or dex-passwords placeholders), so no placeholder reaches the cluster (tested).
    """

    def kind_password_hash(self, email: str) -> str:
        return PLACEHOLDER_HASH

    def generated(self, value_id: str) -> str:
        return PLACEHOLDER_PREFIX + value_id


def parse_annotation(value: str, where: str) -> dict[str, GeneratedKey]:
    out: dict[str, GeneratedKey] = {}
    for entry in value.split(","):
        if not entry.strip():
            continue
        m = _ENTRY.match(entry)
        if m is None:
            raise ValueError(f"{where}: {GENERATED_SECRET_ANNOTATION} entry {entry!r} is not <key>=<value id>[/bcrypt]")
        out[m.group(1)] = GeneratedKey(m.group(2), m.group(3) == BCRYPT)
    return out


def secret_values(obj: KObj) -> dict[str, str]:
    out = {
        k: base64.b64decode(v).decode(errors="replace")
        for k, v in (obj.get("data") or {}).items()
        if isinstance(v, str)
    }
    out.update({k: str(v) for k, v in (obj.get("stringData") or {}).items()})
    return out


def _dex_users(objects: list[KObj]) -> dict[str, str]:
    """hashFromEnv variable -> e-mail, read from Dex's config (a ConfigMap or Secret holding config.yaml)."""
    users: dict[str, str] = {}
    for obj in objects:
        if obj.get("kind") not in ("ConfigMap", "Secret") or namespace_of(obj) != DEX_NAMESPACE:
            continue
        for text in secret_values(obj).values() if obj.get("kind") == "Secret" else (obj.get("data") or {}).values():
            if not isinstance(text, str) or "staticPasswords" not in text:
                continue
            try:
                config: Any = yaml.safe_load(text)
            except yaml.YAMLError:
                continue
            for entry in (config or {}).get("staticPasswords") or []:
                if isinstance(entry, dict) and entry.get("hashFromEnv") and entry.get("email"):
                    users[str(entry["hashFromEnv"])] = str(entry["email"])
    return users


def _dex_passwords(obj: KObj, dex_users: dict[str, str]) -> dict[str, GeneratedKey]:
    # Only placeholders and upstream's default: a hash the spec gives (static_users[].hash) is the user's choice.
    pending = [k for k, v in sorted(secret_values(obj).items()) if v in (PLACEHOLDER_HASH, UPSTREAM_DEFAULT_HASH)]
    return {k: GeneratedKey(DEX_USER_PREFIX + dex_users.get(k, k), bcrypt=True) for k in pending}


def generated_secrets(objects: list[KObj]) -> dict[int, dict[str, GeneratedKey]]:
    """Object index -> {data key: generator} for every Secret with at least one generated key."""
    dex_users = _dex_users(objects)
    out: dict[int, dict[str, GeneratedKey]] = {}
    for i, obj in enumerate(objects):
        if obj.get("kind") != "Secret" or obj.get("apiVersion") != "v1":
            continue
        where = f"Secret {namespace_of(obj)}/{name_of(obj)}"
        annotation = annotations_of(obj).get(GENERATED_SECRET_ANNOTATION)
        keys = parse_annotation(str(annotation), where) if annotation else {}
        if (namespace_of(obj), name_of(obj)) == (DEX_NAMESPACE, DEX_PASSWORDS_SECRET):
            keys = {**_dex_passwords(obj, dex_users), **keys}
        if keys:
            out[i] = keys
    return out


def is_login_password(generator: str) -> bool:
    return generator.startswith(DEX_USER_PREFIX)


def stack_valued(objects: list[KObj]) -> dict[int, dict[str, str]]:
    """Object index -> {data key: stack value id} for every ConfigMap or Secret the stack fills
    (kubeforge.managed: a managed database's host, its admin password)."""
    out: dict[int, dict[str, str]] = {}
    for i, obj in enumerate(objects):
        if obj.get("kind") not in ("ConfigMap", "Secret") or obj.get("apiVersion") != "v1":
            continue
        annotation = annotations_of(obj).get(STACK_VALUE_ANNOTATION)
        if not annotation:
            continue
        where = f"{obj.get('kind')} {namespace_of(obj)}/{name_of(obj)}"
        keys = parse_annotation(str(annotation), where)
        out[i] = {k: g.generator for k, g in keys.items()}
    return out
