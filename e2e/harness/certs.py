"""SIMULATED cert-manager for the e2e control plane (see e2e/README.md, "What is simulated").

cert-manager's controller and cainjector cannot be built from modules here (their mains are nested
modules the proxy does not serve, and the proxy serves only cert-manager v1.21.x while the lock pins
v1.19.4), so this small controller does the two things the install order depends on: it issues every
cert-manager.io Certificate (a real key pair and x509 certificate signed by its SelfSigned or CA
issuer, written to the Secret it names, Ready=True) and marks issuers Ready; and it injects caBundles
into webhook configurations, CRDs and APIServices annotated `cert-manager.io/inject-ca-from(-secret)`.
It runs as a thread beside the tests, polling with kubectl.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from e2e.harness.x509util import cert_pem, certificate, key_pem

INJECTABLE = [
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
    "customresourcedefinitions",
    "apiservices",
]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _issue(
    common: str, dns: list[str], signer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None, is_ca: bool
) -> dict[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common or (dns[0] if dns else "e2e"))])
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    cert = certificate(subject, key, (signer[0].subject, signer[1]) if signer else None, ca=is_ca, sans=sans, days=90)
    ca = cert_pem(signer[0]) if signer else cert_pem(cert)
    return {"tls.crt": _b64(cert_pem(cert)), "tls.key": _b64(key_pem(key)), "ca.crt": _b64(ca)}


class SimulatedCertManager:
    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="simulated-cert-manager")

    def _kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", f"--kubeconfig={self.kubeconfig}", *args], input=stdin, capture_output=True, text=True
        )

    def _list(self, resource: str) -> list[dict[str, Any]]:
        out = self._kubectl("get", resource, "-A", "-o", "json")
        return list(json.loads(out.stdout).get("items", [])) if out.returncode == 0 else []

    def _secret(self, namespace: str, name: str) -> dict[str, str] | None:
        out = self._kubectl("get", "secret", "-n", namespace, name, "-o", "json")
        return dict(json.loads(out.stdout).get("data") or {}) if out.returncode == 0 else None

    def _ready(self, resource: str, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        if any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (obj.get("status") or {}).get("conditions", [])
        ):
            return
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        cond = {
            "type": "Ready",
            "status": "True",
            "reason": "Simulated",
            "message": "e2e harness",
            "lastTransitionTime": now,
        }
        ns = ["-n", meta["namespace"]] if meta.get("namespace") else []
        self._kubectl(
            "patch",
            resource,
            *ns,
            meta["name"],
            "--subresource=status",
            "--type=merge",
            "-p",
            json.dumps({"status": {"conditions": [cond]}}),
        )

    def _signer(self, cert: dict[str, Any]) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | bool | None:
        """None: self-signed; a pair: the CA issuer's; False: not issuable yet."""
        ref = cert["spec"].get("issuerRef") or {}
        kind = ref.get("kind", "Issuer")
        ns = cert["metadata"]["namespace"]
        res = "clusterissuers" if kind == "ClusterIssuer" else "issuers"
        args = ["get", res, ref.get("name", ""), "-o", "json"] + ([] if kind == "ClusterIssuer" else ["-n", ns])
        out = self._kubectl(*args)
        if out.returncode != 0:
            return False
        spec = json.loads(out.stdout).get("spec") or {}
        if "selfSigned" in spec:
            return None
        if "ca" in spec:
            secret_ns = "cert-manager" if kind == "ClusterIssuer" else ns
            data = self._secret(secret_ns, spec["ca"]["secretName"])
            if not data:
                return False
            crt = x509.load_pem_x509_certificate(base64.b64decode(data["tls.crt"]))
            key = serialization.load_pem_private_key(base64.b64decode(data["tls.key"]), None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            return crt, key
        return False

    def reconcile(self) -> None:
        for res in ("clusterissuers.cert-manager.io", "issuers.cert-manager.io"):
            for issuer in self._list(res):
                self._ready(res, issuer)
        for cert in self._list("certificates.cert-manager.io"):
            meta, spec = cert["metadata"], cert["spec"]
            if self._secret(meta["namespace"], spec["secretName"]) is None:
                signer = self._signer(cert)
                if signer is False or signer is True:
                    continue
                data = _issue(spec.get("commonName", ""), spec.get("dnsNames", []), signer, bool(spec.get("isCA")))
                secret = {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "type": "kubernetes.io/tls",
                    "metadata": {
                        "name": spec["secretName"],
                        "namespace": meta["namespace"],
                        "annotations": {"cert-manager.io/certificate-name": meta["name"]},
                    },
                    "data": data,
                }
                self._kubectl(
                    "apply",
                    "--server-side",
                    "--field-manager=cert-manager-certificates-issuing",
                    "-f",
                    "-",
                    stdin=json.dumps(secret),
                )
            self._ready("certificates.cert-manager.io", cert)
        for res in INJECTABLE:
            for obj in self._list(res):
                self._inject(res, obj)

    def _inject(self, resource: str, obj: dict[str, Any]) -> None:
        ann = obj["metadata"].get("annotations") or {}
        source = ann.get("cert-manager.io/inject-ca-from") or ann.get("cert-manager.io/inject-ca-from-secret")
        if not source or "/" not in source:
            return
        ns, name = source.split("/", 1)
        if "cert-manager.io/inject-ca-from" in ann:
            out = self._kubectl(
                "get", "certificates.cert-manager.io", "-n", ns, name, "-o", "jsonpath={.spec.secretName}"
            )
            if out.returncode != 0 or not out.stdout:
                return
            name = out.stdout
        data = self._secret(ns, name)
        if not data or "ca.crt" not in data:
            return
        bundle = data["ca.crt"]
        patch: list[dict[str, Any]] = []
        if resource.endswith("webhookconfigurations"):
            for i, hook in enumerate(obj.get("webhooks") or []):
                if (hook.get("clientConfig") or {}).get("caBundle") != bundle:
                    patch.append({"op": "add", "path": f"/webhooks/{i}/clientConfig/caBundle", "value": bundle})
        elif resource == "customresourcedefinitions":
            conv = (obj["spec"].get("conversion") or {}).get("webhook")
            if conv and (conv.get("clientConfig") or {}).get("caBundle") != bundle:
                patch.append({"op": "add", "path": "/spec/conversion/webhook/clientConfig/caBundle", "value": bundle})
        elif obj["spec"].get("caBundle") != bundle:
            patch.append({"op": "add", "path": "/spec/caBundle", "value": bundle})
        if patch:
            self._kubectl("patch", resource, obj["metadata"]["name"], "--type=json", "-p", json.dumps(patch))

    def _run(self) -> None:
        while not self.stop.is_set():
            # a half-created object is retried on the next pass
            with contextlib.suppress(Exception):
                self.reconcile()
            self.stop.wait(1.0)

    def __enter__(self) -> SimulatedCertManager:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
