"""Ingress TLS: the kubeflow gateway serves HTTPS with a cert-manager certificate, HTTP redirects to it.

Upstream's gateway listens on plain HTTP 80 only. kind gets a certificate from the self-signing
ClusterIssuer that upstream's cert-manager overlay already installs; production names its issuer.
"""

from __future__ import annotations

from kubeforge.k8s import KObj, name_of, namespace_of
from kubeforge.spec.model import PlatformSpec

GATEWAY = ("kubeflow", "kubeflow-gateway")
TLS_SECRET = "kubeflow-ingress-tls"
SELF_SIGNED_ISSUER = "kubeflow-self-signing-issuer"
GATEWAY_NAMESPACE = "istio-system"  # a gateway's credentialName is read from the gateway pod's namespace


def certificate(spec: PlatformSpec) -> KObj:
    tls = spec.ingress.tls
    issuer = tls.issuer if tls.mode == "issuer" and tls.issuer else SELF_SIGNED_ISSUER
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": TLS_SECRET, "namespace": GATEWAY_NAMESPACE},
        "spec": {
            "secretName": TLS_SECRET,
            "dnsNames": [spec.ingress.host],
            "issuerRef": {"kind": "ClusterIssuer", "name": issuer, "group": "cert-manager.io"},
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
        },
    }


def serve_tls(objects: list[KObj], spec: PlatformSpec) -> list[KObj]:
    """Add the HTTPS server to the kubeflow gateway and its Certificate; no change when tls.mode is none."""
    if spec.ingress.tls.mode == "none":
        return objects
    out = list(objects)
    for obj in out:
        if obj.get("kind") == "Gateway" and (namespace_of(obj), name_of(obj)) == GATEWAY:
            servers = [s for s in obj["spec"].get("servers") or [] if (s.get("port") or {}).get("number") != 443]
            for server in servers:
                if (server.get("port") or {}).get("number") == 80:
                    server["tls"] = {"httpsRedirect": True}
            servers.append(
                {
                    "hosts": ["*"],
                    "port": {"name": "https", "number": 443, "protocol": "HTTPS"},
                    "tls": {"mode": "SIMPLE", "credentialName": TLS_SECRET},
                }
            )
            obj["spec"]["servers"] = servers
            out.append(certificate(spec))
    return out
