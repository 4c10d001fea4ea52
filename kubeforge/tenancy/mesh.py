"""A team's Istio objects: STRICT mTLS and the AuthorizationPolicies KFAM and the profile controller create."""

from __future__ import annotations

from kubeforge.k8s import KObj, meta, obj
from kubeforge.names import (
    DEX_ISSUER,
    DEX_JWKS,
    INGRESS_GATEWAY_SA,
    KFP_UI_SA,
    NOTEBOOK_CONTROLLER_SA,
    TEAMS_COMPONENT,
    USERID_HEADER,
)
from kubeforge.spec.model import PlatformSpec, Team
from kubeforge.tenancy.rbac import binding_name, team_groups, team_users

SECURITY = "security.istio.io/v1"
OWNER_POLICY = "ns-owner-access-istio"  # the profile controller's name: it finds ours and leaves it
GROUPS_POLICY = "team-groups"
# Who forwards a person's requests with the kubeflow-userid header: the gateway and the KFP UI.
USER_PROXIES = [INGRESS_GATEWAY_SA, KFP_UI_SA]
VIEWER_ROLE = "kubeflow-view"
# A viewer reads: no write methods, and no notebook or tensorboard (a kernel acts as default-editor).
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
INTERACTIVE_PATHS = ["/notebook/*", "/tensorboard/*"]
VIEWER_OPERATION = {"operation": {"methods": READ_METHODS, "notPaths": INTERACTIVE_PATHS}}


def _user_rule(email: str, role: str = "") -> dict[str, object]:
    rule: dict[str, object] = {
        "from": [{"source": {"principals": USER_PROXIES}}],
        "when": [{"key": f"request.headers[{USERID_HEADER}]", "values": [email]}],
    }
    if role == VIEWER_ROLE:
        rule["to"] = [VIEWER_OPERATION]
    return rule


def peer_authentication(team: Team) -> KObj:
    return obj(
        SECURITY,
        "PeerAuthentication",
        meta("strict-mtls", team.name, TEAMS_COMPONENT),
        spec={"mtls": {"mode": "STRICT"}},
    )


def owner_policy(team: Team) -> KObj:
    rules = [
        _user_rule(team.owners[0]),
        # The team's own workloads talk to each other (pipeline steps, notebooks to their services).
        {"when": [{"key": "source.namespace", "values": [team.name]}]},
        # Knative's probes and scrapes (kubelet probes go through the sidecar's agent, not this listener).
        {
            "from": [{"source": {"namespaces": ["knative-serving"]}}],
            "to": [{"operation": {"paths": ["/healthz", "/metrics", "/wait-for-drain"]}}],
        },
        # The notebook controller's culler asks notebooks whether their kernels are idle.
        {
            "from": [{"source": {"principals": [NOTEBOOK_CONTROLLER_SA]}}],
            "to": [{"operation": {"methods": ["GET"], "paths": ["*/api/kernels"]}}],
        },
    ]
    return obj(
        SECURITY,
        "AuthorizationPolicy",
        meta(OWNER_POLICY, team.name, TEAMS_COMPONENT),
        spec={"action": "ALLOW", "rules": rules},
    )


def contributor_policies(team: Team) -> list[KObj]:
    out = []
    for email, role in team_users(team)[1:]:
        name = binding_name("user", email, role)
        spec = {"action": "ALLOW", "rules": [_user_rule(email, role)]}
        out.append(obj(SECURITY, "AuthorizationPolicy", meta(name, team.name, TEAMS_COMPONENT), spec=spec))
    return out


def group_objects(spec: PlatformSpec, team: Team) -> list[KObj]:
    """IdP groups: the sidecar checks the Dex JWT oauth2-proxy forwards, then its groups claim."""
    groups = team_groups(spec, team)
    if not groups:
        return []
    jwt = {"issuer": DEX_ISSUER, "jwksUri": DEX_JWKS, "forwardOriginalToken": True}
    ra = obj(SECURITY, "RequestAuthentication", meta("dex-jwt", team.name, TEAMS_COMPONENT), spec={"jwtRules": [jwt]})
    rules: list[dict[str, object]] = [
        {
            "from": [{"source": {"principals": USER_PROXIES, "requestPrincipals": ["*"]}}],
            "when": [{"key": "request.auth.claims[groups]", "values": [group]}],
            **({"to": [VIEWER_OPERATION]} if role == VIEWER_ROLE else {}),
        }
        for group, role in groups
    ]
    ap = obj(
        SECURITY,
        "AuthorizationPolicy",
        meta(GROUPS_POLICY, team.name, TEAMS_COMPONENT),
        spec={"action": "ALLOW", "rules": rules},
    )
    return [ra, ap]


def mesh_objects(spec: PlatformSpec, team: Team) -> list[KObj]:
    return [peer_authentication(team), owner_policy(team), *contributor_policies(team), *group_objects(spec, team)]
