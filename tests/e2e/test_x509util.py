"""The harness's one x509 builder (no tools needed: runs under make test too)."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from e2e.harness.certs import _issue
from e2e.harness.x509util import certificate


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def test_a_leaf_is_signed_by_its_ca_with_its_usage_and_names() -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(_name("ca"), ca_key, None, ca=True)
    ca.verify_directly_issued_by(ca)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate(
        _name("svc"),
        key,
        (ca.subject, ca_key),
        sans=[x509.DNSName("svc.ns.svc")],
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
    )
    leaf.verify_directly_issued_by(ca)
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH
    ]
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == ["svc.ns.svc"]


def test_simulated_cert_manager_issues_from_its_ca_issuer() -> None:

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(_name("issuer-ca"), ca_key, None, ca=True)
    data = _issue("", ["webhook.kserve.svc"], (ca, ca_key), False)
    leaf = x509.load_pem_x509_certificate(base64.b64decode(data["tls.crt"]))
    leaf.verify_directly_issued_by(ca)
    assert base64.b64decode(data["ca.crt"]) == ca.public_bytes(serialization.Encoding.PEM)
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "webhook.kserve.svc"
