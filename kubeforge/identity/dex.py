"""Dex's config from the spec: static users (kind only, bcrypt), connectors, redirect URIs."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from kubeforge.errors import BadInput
from kubeforge.identity.store import SecretStore
from kubeforge.names import DEX_TELEMETRY_PORT
from kubeforge.spec.model import GitHubConnector, LDAPConnector, OIDCConnector, PlatformSpec

CALLBACK = "/oauth2/callback"
# Bounded lifetimes: upstream keeps Dex's defaults (24 h ID tokens, refresh tokens that never expire).
TOKEN_EXPIRY: dict[str, Any] = {
    "idTokens": "1h",
    "signingKeys": "6h",
    "refreshTokens": {"reuseInterval": "3s", "validIfNotUsedFor": "12h", "absoluteLifetime": "24h"},
}


def base_urls(spec: PlatformSpec) -> list[str]:
    """Every origin users reach the platform at: the public host, and localhost for port-forwards on kind."""
    scheme = "http" if spec.ingress.tls.mode == "none" else "https"
    port = f":{spec.ingress.port}" if spec.ingress.port else ""
    urls = [f"{scheme}://{spec.ingress.host}{port}"]  # the public origin first
    if spec.is_kind and "http://localhost:8080" not in urls:
        urls.append("http://localhost:8080")  # `kubectl port-forward svc/istio-ingressgateway 8080:80`
    return urls


def redirect_uris(spec: PlatformSpec) -> list[str]:
    """oauth2-proxy's callback at every origin, plus upstream's relative one (its relative_redirect_url)."""
    return sorted({CALLBACK, *[f"{u}{CALLBACK}" for u in base_urls(spec)]})


def env_name(ref: str) -> str:
    return "KUBEFORGE_" + re.sub(r"[^A-Z0-9]", "_", ref.upper())


def secret_ref(ref: str, field: str) -> tuple[str, str]:
    """`name/key` of a Secret in the auth namespace."""
    name, _, key = ref.partition("/")
    if not name or not key:
        raise BadInput(f"expected <secret-name>/<key>, got {ref!r}", field=field)
    return name, key


def connector_config(
    c: OIDCConnector | LDAPConnector | GitHubConnector, i: int
) -> tuple[dict[str, Any], tuple[str, str]]:
    """A Dex connector (secrets as $ENV, which Dex expands) and the env var's (name, ref)."""
    where = f"identity.connectors.{i}"
    if isinstance(c, OIDCConnector):
        ref = c.client_secret_ref
        config: dict[str, Any] = {
            "issuer": c.issuer,
            "clientID": c.client_id,
            "clientSecret": f"${env_name(ref)}",
            "redirectURI": "$DEX_CALLBACK",
            "scopes": list(c.scopes),
            "insecureEnableGroups": True,
            "claimMapping": {"groups": c.groups_claim},
            "getUserInfo": True,
        }
        secret_ref(ref, f"{where}.client_secret_ref")
    elif isinstance(c, LDAPConnector):
        ref = c.bind_password_ref
        secret_ref(ref, f"{where}.bind_password_ref")
        config = {
            "host": c.host,
            "bindDN": c.bind_dn,
            "bindPW": f"${env_name(ref)}",
            "userSearch": {
                "baseDN": c.user_base_dn,
                "filter": c.user_filter,
                "username": "mail",
                "idAttr": "DN",
                "emailAttr": "mail",
                "nameAttr": "cn",
            },
            "groupSearch": {
                "baseDN": c.group_base_dn,
                "filter": c.group_filter,
                "userMatchers": [{"userAttr": "DN", "groupAttr": "member"}],
                "nameAttr": "cn",
            },
        }
    else:
        ref = c.client_secret_ref
        secret_ref(ref, f"{where}.client_secret_ref")
        config = {
            "clientID": c.client_id,
            "clientSecret": f"${env_name(ref)}",
            "redirectURI": "$DEX_CALLBACK",
            "orgs": [{"name": o} for o in c.orgs],
            "teamNameField": "slug",
            "loadAllGroups": False,
        }
    return {"type": c.type, "id": c.id, "name": c.name, "config": config}, (env_name(ref), ref)


def user_id(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def dex_config(
    spec: PlatformSpec, upstream: dict[str, Any], secrets: SecretStore | None
) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, str]]]:
    """(config, password-hash env for the dex-passwords Secret, connector secret env refs)."""
    config = dict(upstream)
    hashes: dict[str, str] = {}
    static = []
    if spec.is_kind:
        for i, u in enumerate(spec.identity.static_users):
            var = f"DEX_USER_PASSWORD_{i}"
            if u.hash is None and secrets is None:
                raise BadInput(
                    "no hash and no secret store to generate a password in", field=f"identity.static_users.{i}.hash"
                )
            hashes[var] = u.hash or secrets.kind_password_hash(u.email)  # type: ignore[union-attr]
            static.append(
                {
                    "email": u.email,
                    "username": u.username or u.email.split("@")[0],
                    "userID": user_id(u.email),
                    "hashFromEnv": var,
                }
            )
    config["enablePasswordDB"] = bool(static)
    config.pop("staticPasswords", None)
    if static:
        config["staticPasswords"] = static
    conns = [connector_config(c, i) for i, c in enumerate(spec.identity.connectors)]
    if conns:
        config["connectors"] = [c for c, _ in conns]
    else:
        config.pop("connectors", None)
    clients = [dict(c) for c in config.get("staticClients") or []]
    for client in clients:
        client["redirectURIs"] = sorted(set(client.get("redirectURIs") or []) | set(redirect_uris(spec)))
    config["staticClients"] = clients
    config["expiry"] = TOKEN_EXPIRY
    # Upstream logs at debug: request details, claims and connector responses reach the logs.
    config["logger"] = {**(config.get("logger") or {}), "level": "info"}
    if spec.enabled("monitoring"):
        # Dex serves /metrics only on its telemetry listener (cmd/dex/serve.go); upstream configures none.
        config["telemetry"] = {"http": f"0.0.0.0:{DEX_TELEMETRY_PORT}"}
    return config, hashes, sorted({e for _, e in conns})
