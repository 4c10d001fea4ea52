"""Allow names become NetworkPolicy names: a name derived twice is an error, never a silent drop."""

from __future__ import annotations

import pytest

from kubeforge.errors import RenderFailed
from kubeforge.k8s import KObj
from kubeforge.security import allows
from kubeforge.security.allows import platform_allows
from kubeforge.security.declared import COMPONENT_FLOWS
from kubeforge.security.inventory import Inventory
from kubeforge.spec import load_spec

EXT_AUTHZ = next(f for f in COMPONENT_FLOWS if f.name == "gateway-ext-authz")


def _oauth2_proxy() -> list[KObj]:
    """The one Service (and its pods) the gateway-ext-authz flow needs."""
    pods = {"app": "oauth2-proxy"}
    container = {"name": "proxy", "ports": [{"name": "http", "containerPort": 4180, "protocol": "TCP"}]}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "oauth2-proxy"}},
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "oauth2-proxy", "namespace": "oauth2-proxy"},
            "spec": {"selector": pods, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "oauth2-proxy", "namespace": "oauth2-proxy"},
            "spec": {"template": {"metadata": {"labels": pods}, "spec": {"containers": [container]}}},
        },
    ]


def test_a_declared_flow_becomes_one_allow_to_the_pods_behind_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allows, "COMPONENT_FLOWS", (EXT_AUTHZ,))
    found, problems = platform_allows(load_spec("kind"), Inventory(_oauth2_proxy()))
    [a] = [a for a in found if a.name.startswith("gateway-ext-authz")]
    assert (a.name, a.dst.namespace, a.dst.pods, a.ports) == (
        "gateway-ext-authz-80",
        "oauth2-proxy",
        {"app": "oauth2-proxy"},
        (("TCP", 4180),),
    )
    assert problems == []


def test_a_name_derived_twice_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allows, "COMPONENT_FLOWS", (EXT_AUTHZ, EXT_AUTHZ))
    with pytest.raises(
        RenderFailed, match=r"allow 'gateway-ext-authz-80' is derived twice \(oauth2-proxy and oauth2-proxy\)"
    ):
        platform_allows(load_spec("kind"), Inventory(_oauth2_proxy()))
