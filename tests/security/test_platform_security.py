"""Mesh STRICT, default deny in every platform namespace, derived allows, no allow-all, valid objects."""

from __future__ import annotations

from kubeforge.check.validate import validate_objects
from kubeforge.k8s import name_of, namespace_of
from kubeforge.names import PLATFORM_NAMESPACES
from kubeforge.release.store import load_lock
from kubeforge.render import Render
from kubeforge.security import PERMISSIVE_PORTS, Inventory, platform_security
from kubeforge.security.permissive import uncovered_webhooks
from kubeforge.tenancy import kfp_store, team_objects


def test_default_deny_everywhere_and_mesh_strict(full_render: Render) -> None:
    spec, objects = full_render.spec, full_render.objects
    ours = platform_security(spec, full_render.upstream_objects())
    namespaces = {name_of(o) for o in objects if o["kind"] == "Namespace"}
    denies = {namespace_of(o) for o in ours if o["kind"] == "NetworkPolicy" and name_of(o) == "default-deny"}
    assert denies == set(PLATFORM_NAMESPACES) & namespaces
    assert "kubeflow-system" in denies or spec.profile == "kind"
    mesh = [o for o in ours if o["kind"] == "PeerAuthentication" and name_of(o) == "default"]
    assert (
        mesh and mesh[0]["metadata"]["namespace"] == "istio-system" and mesh[0]["spec"] == {"mtls": {"mode": "STRICT"}}
    )
    assert all(o["metadata"]["labels"]["app.kubernetes.io/component"] == "security" for o in ours)


def test_no_allow_all(full_render: Render) -> None:
    spec = full_render.spec
    for o in platform_security(spec, full_render.upstream_objects()):
        if o["kind"] != "NetworkPolicy" or name_of(o) == "default-deny":
            continue
        for rule in [*o["spec"].get("ingress", []), *o["spec"].get("egress", [])]:
            peers = rule.get("from", rule.get("to"))
            # Every rule limits ports, or peers, or both; a rule limiting neither is an allow-all.
            assert rule.get("ports") or peers, (namespace_of(o), name_of(o))
            for p in peers or []:
                assert p.get("ipBlock", {}).get("cidr") not in ("0.0.0.0/0", "::/0") or rule.get("ports"), name_of(o)


def test_webhooks_allowed_from_the_api_server(production_render: Render) -> None:
    spec = production_render.spec
    ours = {(namespace_of(o), name_of(o)): o for o in platform_security(spec, production_render.upstream_objects())}
    pol = ours[("cert-manager", "allow-apiserver-webhook-cert-manager-webhook-10250-in")]["spec"]
    assert pol["ingress"] == [{"ports": [{"protocol": "TCP", "port": 10250}]}]
    assert pol["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "webhook"


def test_permissive_ports_have_reasons_and_cover_every_sidecar_webhook(full_render: Render) -> None:
    spec, objects = full_render.spec, full_render.objects
    assert all(p.reason and p.port for p in PERMISSIVE_PORTS)
    assert uncovered_webhooks(Inventory(objects)) == []
    broken = [o for o in objects if not (o["kind"] == "PeerAuthentication" and "permissive" in name_of(o))]
    assert uncovered_webhooks(Inventory(broken)) == []  # the check reads the list, not the objects
    ours = platform_security(spec, full_render.upstream_objects())
    pas = {name_of(o): o for o in ours if o["kind"] == "PeerAuthentication"}
    assert pas["permissive-knative-webhook"]["spec"]["portLevelMtls"] == {"8443": {"mode": "PERMISSIVE"}}
    assert "kubeforge.io/reason" in pas["permissive-knative-webhook"]["metadata"]["annotations"]


def test_output_is_deterministic_and_schema_valid(full_render: Render) -> None:
    spec, upstream = full_render.spec, full_render.upstream_objects()
    first, second = platform_security(spec, upstream), platform_security(spec, upstream)
    assert first == second
    crds = [o for o in upstream if o["kind"] == "CustomResourceDefinition"]
    lock = load_lock(spec.release)
    errors = [
        f
        for f in validate_objects([*crds, *first, *team_objects(spec, lock, kfp_store(spec, lock, upstream))], "1.34")
        if f.severity == "error"
    ]
    assert errors == []
