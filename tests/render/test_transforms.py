"""Each render transform on its own, on small objects shaped like upstream's."""

from __future__ import annotations

from typing import Any

import pytest

from kubeforge.render.transforms.hardening import harden
from kubeforge.render.transforms.images import mirror_image, rewrite_images
from kubeforge.render.transforms.injected import leave_ca_bundles_to_injector
from kubeforge.render.transforms.labels import add_labels
from kubeforge.render.transforms.namespaces import cluster_scoped_kinds, place
from kubeforge.render.transforms.rbac import drop_aggregated_rules
from kubeforge.render.transforms.sizing import Plan, apply_sizing, size_container
from kubeforge.spec.model import Resources


def deployment(name: str = "app", **pod: Any) -> dict[str, Any]:
    spec = {"containers": [{"name": "main", "image": "nginx:1.27"}], **pod}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "kubeflow"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


LAPTOP = Plan(
    replicas=1,
    cap=Resources(cpu="10m", memory="48Mi"),
    default_requests=Resources(cpu="5m", memory="32Mi"),
    default_limits=Resources(cpu="2", memory="2Gi"),
    limit_floor=None,
    sidecar_requests=Resources(cpu="5m", memory="24Mi"),
    sidecar_limits=Resources(cpu="1", memory="512Mi"),
)


def test_requests_shrink_to_the_cap_but_limits_stay() -> None:
    out = size_container(
        {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}, LAPTOP
    )
    assert out == {"requests": {"cpu": "10m", "memory": "48Mi"}, "limits": {"cpu": "1", "memory": "2Gi"}}


def test_requests_below_the_cap_are_kept() -> None:
    out = size_container({"requests": {"cpu": "1m", "memory": "8Mi"}}, LAPTOP)
    assert out["requests"] == {"cpu": "1m", "memory": "8Mi"}


def test_missing_requests_and_limits_get_defaults_with_headroom() -> None:
    out = size_container({}, LAPTOP)
    assert out == {"requests": {"cpu": "5m", "memory": "32Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}}


def test_limits_never_drop_below_upstream_and_floor_raises_them() -> None:
    floor = Plan(**{**LAPTOP.__dict__, "limit_floor": Resources(memory="4Gi")})
    out = size_container({"limits": {"cpu": "3", "memory": "1Gi"}}, floor)
    assert out["limits"] == {"cpu": "3", "memory": "4Gi"}


def test_request_never_exceeds_limit() -> None:
    no_cap = Plan(**{**LAPTOP.__dict__, "cap": None, "default_requests": Resources(cpu="500m", memory="1Gi")})
    out = size_container({"limits": {"cpu": "100m", "memory": "64Mi"}}, no_cap)
    assert out["requests"] == {"cpu": "100m", "memory": "64Mi"}


def test_replicas_apply_to_stateless_deployments_only() -> None:
    ha = Plan(**{**LAPTOP.__dict__, "replicas": 2})
    web = deployment("web")
    db = deployment("db", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "db"}}])
    apply_sizing([web, db], ha)
    assert web["spec"]["replicas"] == 2
    assert db["spec"]["replicas"] == 1


def test_sidecar_resources_are_annotated_on_pod_templates() -> None:
    web = apply_sizing([deployment("web")], LAPTOP)[0]
    annotations = web["spec"]["template"]["metadata"]["annotations"]
    assert annotations["sidecar.istio.io/proxyCPU"] == "5m"
    assert annotations["sidecar.istio.io/proxyMemoryLimit"] == "512Mi"


@pytest.mark.parametrize(
    ("image", "mirrored"),
    [
        ("nginx:1.27", "mirror.local:5000/library/nginx:1.27"),
        ("kubeflow/notebook:v1", "mirror.local:5000/kubeflow/notebook:v1"),
        ("docker.io/bitnami/mysql:8", "mirror.local:5000/bitnami/mysql:8"),
        ("ghcr.io/kubeflow/kfp:2.16@sha256:" + "a" * 64, "mirror.local:5000/kubeflow/kfp:2.16@sha256:" + "a" * 64),
        ("localhost:5000/x/y:1", "mirror.local:5000/x/y:1"),
    ],
)
def test_mirror_image(image: str, mirrored: str) -> None:
    assert mirror_image(image, "mirror.local:5000") == mirrored


def test_rewrite_images_touches_init_containers_and_nothing_without_a_registry() -> None:
    dep = deployment(initContainers=[{"name": "init", "image": "busybox:1.36"}])
    assert rewrite_images([dep], None)[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    rewrite_images([dep], "reg.example.com")
    spec = dep["spec"]["template"]["spec"]
    assert spec["initContainers"][0]["image"] == "reg.example.com/library/busybox:1.36"
    assert spec["containers"][0]["image"] == "reg.example.com/library/nginx:1.27"


def test_labels_keep_upstream_component_and_add_ours() -> None:
    dep = deployment()
    dep["metadata"]["labels"] = {
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/part-of": "kubeflow-profile",
    }
    bare = add_labels([deployment("bare")], "katib", "v0.19.0")[0]
    add_labels([dep], "katib", "v0.19.0")
    labels = dep["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "server"
    assert labels["app.kubernetes.io/part-of"] == "kubeflow-profile", "upstream selects team namespaces by it"
    assert bare["metadata"]["labels"]["app.kubernetes.io/part-of"] == "kubeforge"
    assert labels["app.kubernetes.io/managed-by"] == "kubeforge"
    assert labels["kubeforge.io/component"] == "katib"
    assert labels["kubeforge.io/component-version"] == "v0.19.0"


def test_namespace_placement() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "profiles.kubeflow.org"},
        "spec": {"group": "kubeflow.org", "scope": "Cluster", "names": {"kind": "Thing", "plural": "things"}},
    }
    thing = {"apiVersion": "kubeflow.org/v1", "kind": "Thing", "metadata": {"name": "t", "namespace": "oops"}}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r", "namespace": "x"},
    }
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    place([crd, thing, role, cm], "kubeflow", cluster_scoped_kinds([crd]))
    assert "namespace" not in thing["metadata"]
    assert "namespace" not in role["metadata"]
    assert cm["metadata"]["namespace"] == "kubeflow"


def test_a_namespaced_crd_keeps_its_kind_namespaced() -> None:
    # Knative's caching.internal.knative.dev Image is Namespaced: placed without a namespace, pulumi applied it to default.
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "images.caching.internal.knative.dev"},
        "spec": {"group": "caching.internal.knative.dev", "scope": "Namespaced", "names": {"kind": "Image"}},
    }
    image = {
        "apiVersion": "caching.internal.knative.dev/v1alpha1",
        "kind": "Image",
        "metadata": {"name": "queue-proxy"},
    }
    placed = {**image, "metadata": {"name": "queue-proxy", "namespace": "knative-serving"}}
    place([crd, image, placed], "knative-serving", cluster_scoped_kinds([crd]))
    assert image["metadata"]["namespace"] == "knative-serving"
    assert placed["metadata"]["namespace"] == "knative-serving"


def test_hardening_is_safe() -> None:
    plain = deployment("plain")
    privileged = deployment(
        "cni", containers=[{"name": "cni", "image": "istio/cni:1", "securityContext": {"privileged": True}}]
    )
    chosen = deployment("chosen", securityContext={"seccompProfile": {"type": "Unconfined"}})
    bound = deployment("bound", serviceAccountName="controller")
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "b"},
        "subjects": [{"kind": "ServiceAccount", "name": "controller", "namespace": "kubeflow"}],
    }
    harden([plain, privileged, chosen, bound, binding])
    p = plain["spec"]["template"]["spec"]
    assert p["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert p["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is False
    assert p["automountServiceAccountToken"] is False
    assert "allowPrivilegeEscalation" not in privileged["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    assert chosen["spec"]["template"]["spec"]["securityContext"]["seccompProfile"] == {"type": "Unconfined"}
    assert "automountServiceAccountToken" not in bound["spec"]["template"]["spec"]
    for dep in (plain, privileged, chosen, bound):
        sc = dep["spec"]["template"]["spec"]["containers"][0].get("securityContext") or {}
        assert "runAsNonRoot" not in sc and "readOnlyRootFilesystem" not in sc


def test_pod_security_pinned_keeping_upstream_level() -> None:
    from kubeforge.render.transforms.podsecurity import pin_pod_security

    strict = {
        "kind": "Namespace",
        "metadata": {"name": "kubeflow", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
    }
    bare = {"kind": "Namespace", "metadata": {"name": "auth"}}
    pin_pod_security([strict, bare], "1.34")
    assert strict["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert bare["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    for ns in (strict, bare):
        labels = ns["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.34"
        assert labels["pod-security.kubernetes.io/warn"] == "restricted"
        assert labels["pod-security.kubernetes.io/audit-version"] == "v1.34"


def test_gateway_serves_tls_from_the_profiles_issuer() -> None:
    from kubeforge.render.transforms.ingress import TLS_SECRET, serve_tls
    from kubeforge.spec import load_spec

    def gateway() -> dict[str, Any]:
        return {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "kubeflow-gateway", "namespace": "kubeflow"},
            "spec": {"servers": [{"hosts": ["*"], "port": {"name": "http", "number": 80, "protocol": "HTTP"}}]},
        }

    kind = serve_tls([gateway()], load_spec("kind"))
    servers = kind[0]["spec"]["servers"]
    assert servers[0]["tls"] == {"httpsRedirect": True}
    assert servers[1]["tls"] == {"mode": "SIMPLE", "credentialName": TLS_SECRET}
    assert kind[1]["spec"]["issuerRef"]["name"] == "kubeflow-self-signing-issuer"
    assert kind[1]["metadata"]["namespace"] == "istio-system"
    production = serve_tls([gateway()], load_spec("production"))
    assert production[1]["spec"]["issuerRef"]["name"] == "letsencrypt-prod"
    assert production[1]["spec"]["dnsNames"] == ["kubeflow.example.com"]
    assert serve_tls(serve_tls([gateway()], load_spec("kind")), load_spec("kind"))[0]["spec"]["servers"] == servers


def test_yaml_stream_round_trips_with_crds_as_json_documents() -> None:
    from kubeforge.render.yamlio import dump_stream, load_stream

    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "a.b.io"},
        "spec": {"x": [1, "on", None]},
    }
    objs = [
        deployment("web"),
        crd,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "yes"}},
    ]
    text = dump_stream(objs)
    assert load_stream(text) == objs
    assert '{"apiVersion":"apiextensions.k8s.io/v1"' in text
    assert "kind: Deployment" in text and "k: 'yes'" in text


def test_platform_decisions_are_recorded_once_with_their_reasons() -> None:
    from kubeforge.render.transforms.decisions import DECISIONS, record_decisions

    dep = deployment()
    dep["metadata"]["annotations"] = {"checkov.io/skip1": "CKV_K8S_43=already decided here"}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    record_decisions(record_decisions([dep, cm]))
    skips = {v.split("=", 1)[0]: v.split("=", 1)[1] for k, v in dep["metadata"]["annotations"].items()}
    assert skips["CKV_K8S_43"] == "already decided here"
    assert skips["CKV_K8S_15"] == DECISIONS["CKV_K8S_15"]
    assert len(dep["metadata"]["annotations"]) == 2
    assert "annotations" not in cm["metadata"]


def test_aggregated_cluster_roles_leave_rules_to_the_aggregation_controller() -> None:
    agg = {"matchLabels": {"rbac.example/aggregate-to-edit": "true"}}
    objs: list[dict[str, Any]] = [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "edit"},
            "aggregationRule": {"clusterRoleSelectors": [agg]},
            "rules": [],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "plain"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        },
        {
            "apiVersion": "example.com/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "other-group"},
            "aggregationRule": {},
            "rules": [],
        },
    ]
    out = drop_aggregated_rules(objs)
    assert "rules" not in out[0] and out[0]["aggregationRule"] == {"clusterRoleSelectors": [agg]}
    assert out[1] == objs[1] and out[2] == objs[2]  # no aggregation, or not RBAC's ClusterRole: untouched


def test_ca_bundles_left_to_the_injector_and_only_there() -> None:
    webhook = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "w", "annotations": {"cert-manager.io/inject-ca-from": "kubeflow/cert"}},
        "webhooks": [{"name": "a", "clientConfig": {"caBundle": "", "service": {"name": "s"}}}],
    }
    api = {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": "v1.x", "annotations": {"cert-manager.io/inject-ca-from-secret": "ns/s"}},
        "spec": {"caBundle": "Cg==", "group": "x"},
    }
    own = {**webhook, "metadata": {"name": "own"}}  # no injection asked: its caBundle is the render's
    out = leave_ca_bundles_to_injector([webhook, api, own])
    assert out[0]["webhooks"][0]["clientConfig"] == {"service": {"name": "s"}}
    assert out[1]["spec"] == {"group": "x"}
    assert out[2]["webhooks"][0]["clientConfig"]["caBundle"] == ""
    assert webhook["webhooks"][0]["clientConfig"]["caBundle"] == ""  # the input is not changed


def test_empty_and_aggregated_role_rules_are_dropped() -> None:
    empty = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "e"},
        "rules": [],
    }
    role = {**empty, "kind": "Role", "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
    aggregated = {**empty, "aggregationRule": {"clusterRoleSelectors": []}, "rules": role["rules"]}
    out = drop_aggregated_rules([empty, role, aggregated])
    assert "rules" not in out[0] and "rules" not in out[2]
    assert out[1]["rules"] == role["rules"]
