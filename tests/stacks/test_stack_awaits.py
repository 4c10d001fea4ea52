"""What the stack asks the provider to await (issue 12, found by reading against the real engine;
the harness's control plane shows Knative's Certificate never becomes Ready: no controller issues it)."""

from __future__ import annotations

from stacks.plan import applied

WAIT = "pulumi.com/waitFor"


def _cert(api_version: str) -> dict[str, object]:
    return {"apiVersion": api_version, "kind": "Certificate", "metadata": {"name": "c", "namespace": "n"}}


def test_cert_manager_certificates_are_awaited_ready() -> None:
    assert applied(_cert("cert-manager.io/v1"))["metadata"]["annotations"][WAIT] == "condition=Ready"


def test_knative_internal_certificate_is_not_awaited() -> None:
    # routing-serving-certs: issued by Knative's net-certmanager controller, which is not rendered
    annotations = applied(_cert("networking.internal.knative.dev/v1alpha1"))["metadata"]["annotations"]
    assert WAIT not in annotations
