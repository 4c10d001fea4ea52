"""AuthorizationPolicies for the identity components, which upstream runs outside the mesh with
none: Dex admits the gateway (the browser's login flow) and oauth2-proxy (code redeem, keys), and
plain-text callers only to GET its public signing keys (istiod's JWKS fetch: istiod has no
sidecar); oauth2-proxy admits the gateway only (its auth checks and /oauth2/ routes)."""

from __future__ import annotations

from kubeforge.k8s import KObj, meta, obj
from kubeforge.names import INGRESS_GATEWAY_SA, SECURITY_COMPONENT, principal
from kubeforge.security.inventory import Inventory

DEX_PODS = {"app": "dex"}
DEX_KEYS_PATH = "/dex/keys"
OAUTH2_PROXY_SA = principal("oauth2-proxy", "oauth2-proxy")


def _policy(name: str, namespace: str, pods: dict[str, str], rules: list[dict[str, object]]) -> KObj:
    spec = {"action": "ALLOW", "selector": {"matchLabels": dict(pods)}, "rules": rules}
    return obj("security.istio.io/v1", "AuthorizationPolicy", meta(name, namespace, SECURITY_COMPONENT), spec=spec)


def identity_policies(inv: Inventory) -> list[KObj]:
    out = []
    if inv.pods("auth", DEX_PODS):
        rules: list[dict[str, object]] = [
            {"from": [{"source": {"principals": [INGRESS_GATEWAY_SA, OAUTH2_PROXY_SA]}}]},
            {
                "from": [{"source": {"notPrincipals": ["*"]}}],
                "to": [{"operation": {"methods": ["GET"], "paths": [DEX_KEYS_PATH]}}],
            },
        ]
        out.append(_policy("dex", "auth", DEX_PODS, rules))
    proxy = {"app.kubernetes.io/name": "oauth2-proxy"}
    if inv.pods("oauth2-proxy", proxy):
        out.append(
            _policy(
                "oauth2-proxy", "oauth2-proxy", proxy, [{"from": [{"source": {"principals": [INGRESS_GATEWAY_SA]}}]}]
            )
        )
    return out
