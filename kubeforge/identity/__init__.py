"""Identity: Dex users, connectors and redirect URIs, and oauth2-proxy settings, from the spec.

Never a plain-text password in an object: static users' bcrypt hashes go to the dex-passwords Secret
(upstream ships the hash of `12341234` there; it is replaced), connector secrets stay in the user's
Secrets and reach Dex as environment variables.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from kubeforge.identity.dex import base_urls, dex_config, redirect_uris, secret_ref
from kubeforge.identity.store import FileSecretStore, SecretStore
from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.names import DEX_TELEMETRY_PORT
from kubeforge.spec.model import PlatformSpec

__all__ = ["FileSecretStore", "SecretStore", "configure_identity", "redirect_uris"]


def _is(obj: KObj, kind: str, ns: str, name: str) -> bool:
    return obj.get("kind") == kind and namespace_of(obj) == ns and name_of(obj) == name


def _patch_dex_deployment(dep: KObj, env_refs: list[tuple[str, str]], callback: str, telemetry: bool) -> None:
    containers = dep["spec"]["template"]["spec"]["containers"]
    dex = next(c for c in containers if c.get("name") == "dex")
    if telemetry:
        # Named, so its PodMonitor and the scrape allows find it (kubeforge.monitoring.monitors).
        port = {"name": "telemetry", "containerPort": DEX_TELEMETRY_PORT, "protocol": "TCP"}
        dex["ports"] = [*[p for p in dex.get("ports") or [] if p.get("name") != "telemetry"], port]
    env = [
        e
        for e in dex.get("env") or []
        if not str(e.get("name", "")).startswith("KUBEFORGE_") and e.get("name") != "DEX_CALLBACK"
    ]
    env.append({"name": "DEX_CALLBACK", "value": callback})
    for var, ref in env_refs:
        name, key = secret_ref(ref, "identity.connectors")
        env.append({"name": var, "valueFrom": {"secretKeyRef": {"name": name, "key": key}}})
    dex["env"] = env


# Dex and oauth2-proxy join the mesh (sidecars, mesh-wide STRICT): their traffic (the code redeem,
# the JWKS, the gateway's auth checks) is mTLS; Dex's plain-text port admits istiod's JWKS fetch only
# (kubeforge.security.permissive, kubeforge.security.authz).
MESH_NAMESPACES = ("auth", "oauth2-proxy")

# Bounded sessions: Dex ID tokens live 1 h (dex.TOKEN_EXPIRY); oauth2-proxy refreshes them before
# they expire and ends the session with the refresh token's absolute lifetime.
OAUTH2_PROXY_SESSION = {
    "scope": '"profile email groups openid offline_access"',
    "cookie_expire": '"24h"',
    "cookie_refresh": '"50m"',
}


def allowed_groups(spec: PlatformSpec) -> list[str]:
    """Every IdP group bound to some team: outside kind, only their members sign in."""
    own = {g for t in spec.teams for g in (*t.groups.owners, *t.groups.members, *t.groups.viewers)}
    return sorted(own | {m.group for m in spec.identity.groups})


def _email_domains(spec: PlatformSpec, groups: list[str]) -> list[str]:
    """The listed people's domains; any domain only when allowed_groups limits sign-in; else nobody."""
    people = {e for t in spec.teams for e in (*t.owners, *t.members, *t.viewers)}
    return sorted({e.rsplit("@", 1)[1] for e in people}) or (["*"] if groups else [])


def _toml_list(values: list[str]) -> str:
    return "[ " + ", ".join(f'"{v}"' for v in values) + " ]" if values else "[]"


def _oauth2_proxy_cfg(text: str, spec: PlatformSpec) -> str:
    hosts = sorted({u.split("://", 1)[1] for u in base_urls(spec)})
    settings = {"whitelist_domains": _toml_list(hosts), **OAUTH2_PROXY_SESSION}
    if not spec.is_kind:
        groups = allowed_groups(spec)
        settings["email_domains"] = _toml_list(_email_domains(spec, groups))
        if groups:
            settings["allowed_groups"] = _toml_list(groups)
    kept = [ln for ln in text.splitlines() if ln.split("=", 1)[0].strip() not in settings]
    lines = [f"{k} = {v}" for k, v in settings.items()]
    return (
        "\n".join(
            [
                *kept,
                "",
                "# kubeforge: redirects to our origins, bounded sessions, sign-in for the teams' people",
                *lines,
            ]
        )
        + "\n"
    )


def configure_identity(spec: PlatformSpec, objects: list[KObj], secrets: SecretStore) -> list[KObj]:
    """The objects with Dex's config, password Secret and Deployment, and oauth2-proxy's config and
    parameters rewritten (changed objects are copies; the input list is not modified)."""
    out: list[KObj] = []
    env_refs: list[tuple[str, str]] = []
    hashes: dict[str, str] = {}
    dex_cm = next((o for o in objects if _is(o, "ConfigMap", "auth", "dex")), None)
    if dex_cm is not None:
        upstream: dict[str, Any] = yaml.safe_load(dex_cm["data"]["config.yaml"]) or {}
        config, hashes, env_refs = dex_config(spec, upstream, secrets)
    for obj in objects:
        if obj is dex_cm:
            new = copy.deepcopy(obj)
            new["data"]["config.yaml"] = yaml.safe_dump(config, sort_keys=True)
            out.append(new)
        elif _is(obj, "Secret", "auth", "dex-passwords"):
            new = copy.deepcopy(obj)
            new.pop("data", None)
            new["stringData"] = dict(sorted(hashes.items()))
            out.append(new)
        elif obj.get("kind") == "Namespace" and name_of(obj) in MESH_NAMESPACES:
            new = copy.deepcopy(obj)
            new["metadata"]["labels"] = {**(new["metadata"].get("labels") or {}), "istio-injection": "enabled"}
            out.append(new)
        elif _is(obj, "Deployment", "auth", "dex"):
            new = copy.deepcopy(obj)
            _patch_dex_deployment(new, env_refs, f"{base_urls(spec)[0]}/dex/callback", spec.enabled("monitoring"))
            out.append(new)
        elif (
            obj.get("kind") == "ConfigMap"
            and namespace_of(obj) == "oauth2-proxy"
            and "oauth2_proxy.cfg" in (obj.get("data") or {})
        ):
            new = copy.deepcopy(obj)
            new["data"]["oauth2_proxy.cfg"] = _oauth2_proxy_cfg(new["data"]["oauth2_proxy.cfg"], spec)
            out.append(new)
        elif (
            obj.get("kind") == "ConfigMap"
            and namespace_of(obj) == "oauth2-proxy"
            and "FORCE_HTTPS" in (obj.get("data") or {})
        ):
            new = copy.deepcopy(obj)
            # Secure cookies whenever users arrive over TLS.
            new["data"]["FORCE_HTTPS"] = "false" if spec.ingress.tls.mode == "none" else "true"
            # Verify the issuer's certificate outside kind (oauth2-proxy's SSL_INSECURE_SKIP_VERIFY).
            if "ALLOW_SELF_SIGNED_ISSUER" in new["data"]:
                new["data"]["ALLOW_SELF_SIGNED_ISSUER"] = "true" if spec.is_kind else "false"
            out.append(new)
        else:
            out.append(obj)
    return out
