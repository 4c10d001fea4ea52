"""Install waves on small synthetic platforms: each ordering rule on its own."""

from __future__ import annotations

from typing import Any

from kubeforge.render.waves import plan_waves


def ns(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def crd(group: str, kind: str, plural: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {"group": group, "scope": "Namespaced", "names": {"kind": kind, "plural": plural}},
    }


def deploy(name: str, namespace: str, labels: dict[str, str], volumes: list[Any] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [], "volumes": volumes or []}},
        },
    }


def service(name: str, namespace: str, selector: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": selector},
    }


def webhook(name: str, svc_ns: str, svc: str, rules: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [
            {
                "name": f"{name}.x.io",
                "clientConfig": {"service": {"namespace": svc_ns, "name": svc}},
                "rules": rules,
                **extra,
            }
        ],
    }


POD_RULE = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}


def waves_of(objects: list[dict[str, Any]]) -> dict[str, int]:
    plan = plan_waves(objects)
    return {f"{o['kind']}/{o['metadata']['name']}": plan.wave_of[i] for i, o in enumerate(objects)}


def test_custom_resource_after_its_crd_and_namespaced_after_namespace() -> None:
    objs = [
        {"apiVersion": "x.io/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "team"}},
        crd("x.io", "Widget", "widgets"),
        ns("team"),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team"}},
    ]
    w = waves_of(objs)
    assert w["CustomResourceDefinition/widgets.x.io"] < w["Widget/w"]
    assert w["Namespace/team"] < w["ConfigMap/c"]
    assert w["CustomResourceDefinition/widgets.x.io"] < w["Namespace/team"]


def test_webhook_after_its_backend_and_admitted_pods_after_the_webhook() -> None:
    objs = [
        ns("mesh"),
        ns("apps", **{"istio-injection": "enabled"}),
        ns("quiet"),
        deploy("injector", "mesh", {"app": "injector"}),
        service("injector", "mesh", {"app": "injector"}),
        webhook(
            "sidecar", "mesh", "injector", [POD_RULE], namespaceSelector={"matchLabels": {"istio-injection": "enabled"}}
        ),
        deploy("web", "apps", {"app": "web"}),
        deploy("batch", "quiet", {"app": "batch"}),
    ]
    plan = plan_waves(objs)
    w = {o["metadata"]["name"]: plan.wave_of[i] for i, o in enumerate(objs)}
    assert w["injector"] < w["sidecar"] < w["web"]
    assert w["batch"] < w["sidecar"], "a pod the webhook does not select need not wait for it"
    assert 3 in plan.webhook_backends
    assert "webhook-endpoints-ready" in plan.waves[plan.wave_of[3]].gates


def test_object_selector_excludes_pods() -> None:
    objs = [
        ns("apps", **{"istio-injection": "enabled"}),
        deploy("injector", "apps", {"app": "injector", "sidecar.istio.io/inject": "false"}),
        service("injector", "apps", {"app": "injector"}),
        webhook(
            "sidecar",
            "apps",
            "injector",
            [POD_RULE],
            objectSelector={
                "matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]
            },
        ),
        deploy("db", "apps", {"app": "db", "sidecar.istio.io/inject": "false"}),
        deploy("web", "apps", {"app": "web"}),
    ]
    w = waves_of(objs)
    assert w["Deployment/db"] < w["MutatingWebhookConfiguration/sidecar"] < w["Deployment/web"]


def test_workload_mounting_a_certificate_waits_for_it_and_certificate_for_its_issuer() -> None:
    cert_crd = crd("cert-manager.io", "Certificate", "certificates")
    issuer_crd = crd("cert-manager.io", "ClusterIssuer", "clusterissuers")
    issuer = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": "selfsigned"},
        "spec": {"selfSigned": {}},
    }
    cert = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "hook-cert", "namespace": "kubeflow"},
        "spec": {"secretName": "hook-tls", "issuerRef": {"kind": "ClusterIssuer", "name": "selfsigned"}},
    }
    hook = deploy("hook", "kubeflow", {"app": "hook"}, volumes=[{"name": "tls", "secret": {"secretName": "hook-tls"}}])
    w = waves_of([cert_crd, issuer_crd, issuer, cert, hook, ns("kubeflow")])
    assert w["ClusterIssuer/selfsigned"] < w["Certificate/hook-cert"] < w["Deployment/hook"]


def test_a_webhook_never_waits_on_what_only_it_admits_in_its_own_backend() -> None:
    objs = [
        ns("apps", **{"inject": "yes"}),
        deploy("hook", "apps", {"app": "hook"}),
        service("hook", "apps", {"app": "hook"}),
        webhook("self", "apps", "hook", [POD_RULE]),
    ]
    w = waves_of(objs)
    assert w["Deployment/hook"] < w["MutatingWebhookConfiguration/self"]


def test_wave_names_and_gates() -> None:
    plan = plan_waves([crd("x.io", "Widget", "widgets"), ns("a")])
    assert [w.name for w in plan.waves] == ["crds", "namespaces"]
    assert plan.waves[0].gates == ["crd-established"]
