"""Grafana behind the platform's single sign-on: served at /grafana/ by the ingress gateway, which has
already signed the user in (oauth2-proxy, Dex) and put the user's e-mail in `kubeflow-userid`; Grafana's
auth proxy trusts that header, and the gateway's route sets the role header from the ID token's groups
(Admin for the spec's admin groups, Viewer for everyone else). No login form, no default password: the
admin account's password is generated per install and used only for break-glass access."""

from __future__ import annotations

import hashlib
from typing import Any

from kubeforge.k8s import KObj, meta, obj
from kubeforge.monitoring.names import (
    COMPONENT,
    GRAFANA,
    GRAFANA_ADMIN_KEY,
    GRAFANA_ADMIN_SECRET,
    GRAFANA_ADMIN_VALUE_ID,
    GRAFANA_PATH,
    GRAFANA_PORT,
    NAMESPACE,
    ROLE_HEADER,
)
from kubeforge.names import GENERATED_SECRET_ANNOTATION, USERID_HEADER
from kubeforge.spec.model import PlatformSpec

GATEWAY = "kubeflow/kubeflow-gateway"
GROUPS_CLAIM = "@request.auth.claims.groups"  # Istio's JWT claim routing (the gateway's RequestAuthentication)


def root_url(spec: PlatformSpec) -> str:
    scheme = "http" if spec.ingress.tls.mode == "none" else "https"
    port = f":{spec.ingress.port}" if spec.ingress.port else ""
    return f"{scheme}://{spec.ingress.host}{port}{GRAFANA_PATH}"


def grafana_ini(spec: PlatformSpec) -> str:
    sections: list[tuple[str, dict[str, str]]] = [
        ("date_formats", {"default_timezone": "UTC"}),
        ("server", {"root_url": root_url(spec), "serve_from_sub_path": "true"}),
        ("analytics", {"reporting_enabled": "false", "check_for_updates": "false"}),
        # The only way in through the gateway is the auth proxy; the admin password works on a port-forward.
        ("auth", {"disable_login_form": "true", "disable_signout_menu": "true"}),
        ("auth.anonymous", {"enabled": "false"}),
        (
            "auth.proxy",
            {
                "enabled": "true",
                "header_name": USERID_HEADER,
                "header_property": "email",
                "auto_sign_up": "true",
                "headers": f"Role:{ROLE_HEADER}",
                "enable_login_token": "false",
            },
        ),
        ("users", {"allow_sign_up": "false", "auto_assign_org": "true", "auto_assign_org_role": "Viewer"}),
    ]
    return "".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()) for name, values in sections)


def admin_secret() -> KObj:
    md = meta(GRAFANA_ADMIN_SECRET, NAMESPACE, COMPONENT)
    md["annotations"] = {GENERATED_SECRET_ANNOTATION: f"{GRAFANA_ADMIN_KEY}={GRAFANA_ADMIN_VALUE_ID}"}
    return obj("v1", "Secret", md, type="Opaque")


def _route(name: str, role: str, matches: list[dict[str, Any]]) -> dict[str, Any]:
    host = f"{GRAFANA}.{NAMESPACE}.svc.cluster.local"
    return {
        "name": name,
        "match": matches,
        # `set` replaces whatever the client sent: the role is the gateway's word, never the user's.
        "headers": {"request": {"set": {ROLE_HEADER: role}}},
        "route": [{"destination": {"host": host, "port": {"number": GRAFANA_PORT}}}],
    }


def virtual_service(spec: PlatformSpec) -> KObj:
    prefix = {"uri": {"prefix": GRAFANA_PATH}}
    http = []
    if spec.monitoring.admin_groups:
        admins = [{**prefix, "headers": {GROUPS_CLAIM: {"exact": g}}} for g in spec.monitoring.admin_groups]
        http.append(_route("grafana-admins", "Admin", admins))
    http.append(_route("grafana", "Viewer", [prefix]))
    return obj(
        "networking.istio.io/v1",
        "VirtualService",
        meta(GRAFANA, NAMESPACE, COMPONENT),
        spec={"gateways": [GATEWAY], "hosts": ["*"], "http": http},
    )


def configure_grafana(objects: list[KObj], spec: PlatformSpec) -> None:
    """grafana.ini replaced, the admin password from the generated Secret, the pods rolled on a change."""
    ini = grafana_ini(spec)
    for o in objects:
        name = (o.get("metadata") or {}).get("name")
        if o.get("kind") == "Secret" and name == "grafana-config":
            o.pop("data", None)
            o["stringData"] = {"grafana.ini": ini}
        elif o.get("kind") == "Deployment" and name == GRAFANA:
            template = o["spec"]["template"]
            annotations = template.setdefault("metadata", {}).setdefault("annotations", {})
            annotations["checksum/grafana-config"] = hashlib.sha256(ini.encode()).hexdigest()[:32]
            for c in template["spec"]["containers"]:
                if c.get("name") != GRAFANA:
                    continue
                env = [e for e in c.get("env") or [] if e.get("name") != "GF_SECURITY_ADMIN_PASSWORD"]
                ref = {"secretKeyRef": {"name": GRAFANA_ADMIN_SECRET, "key": GRAFANA_ADMIN_KEY}}
                c["env"] = [*env, {"name": "GF_SECURITY_ADMIN_PASSWORD", "valueFrom": ref}]
