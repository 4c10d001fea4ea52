"""The render with KFP's artifacts on GCS (gke): SeaweedFS is gone, each team's pipeline root and Argo
log archive are its own bucket reached by Workload Identity (no key in any team namespace), the API
server alone holds an HMAC key (stack-filled, in `kubeflow`), and only pipeline steps, the artifact proxy
and KFP's UI reach the GKE metadata server. Real engine, real upstream manifests; the stack's values
(the HMAC key) stay unfilled here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kubeforge.check.reachability import STEP, forbidden_flows, reachability_findings, required_flows
from kubeforge.check.validate import validate_objects
from kubeforge.identity import FileSecretStore
from kubeforge.k8s import annotations_of, name_of, namespace_of
from kubeforge.managed import gcs
from kubeforge.managed.artifacts import STATIC_KEY_ENV
from kubeforge.names import STACK_VALUE_ANNOTATION
from kubeforge.netpol import Flow, FlowSide, Network, check_flows
from kubeforge.policy import PolicyContext, evaluate
from kubeforge.render import Render, render_platform
from kubeforge.spec import load_spec

from .objects import by_key, containers, env_of

BUCKET = "kf-artifacts-example"
GOOGLE_APIS = ["199.36.153.8/30"]  # private.googleapis.com
TEAMS = [
    {"name": "alpha", "owners": ["alice@example.com"]},
    {"name": "beta", "owners": ["bob@example.com"]},
]
GCS = {
    "cloud": {"project": "ml-platform-prod"},
    "teams": TEAMS,
    "identity": {"groups": []},
    "data": {"artifacts": {"provider": "gcs", "bucket": BUCKET, "endpoint_cidrs": GOOGLE_APIS}},
}


@pytest.fixture(scope="module")
def managed(source_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Render:
    spec = load_spec("gke", extra=GCS)
    return render_platform(spec, cache=source_cache, secrets=FileSecretStore(tmp_path_factory.mktemp("gcs")))


def test_no_seaweedfs_and_no_team_key(managed: Render) -> None:
    objs = by_key(managed.objects)
    assert ("Deployment", "kubeflow", "seaweedfs") not in objs
    assert ("Secret", "kubeflow", "mlpipeline-minio-artifact") not in objs
    team_secrets = [o for o in managed.objects if o.get("kind") == "Secret" and namespace_of(o) in ("alpha", "beta")]
    keys = [(name_of(o), k) for o in team_secrets for k in (o.get("data") or {}) if "key" in k.lower()]
    assert keys == [] and not [o for o in team_secrets if "artifact" in name_of(o)]  # the model registry's only
    text = json.dumps([o for o in managed.objects if o.get("kind") != "CustomResourceDefinition"])
    assert [g for g in ("seaweedfs.kubeflow", "serviceAccountKeySecret", "accessKeySecret") if g in text] == []


def test_the_api_server_alone_holds_the_stack_filled_hmac_key(managed: Render) -> None:
    objs = by_key(managed.objects)
    api = env_of(objs[("Deployment", "kubeflow", "ml-pipeline")], "ml-pipeline-api-server")
    assert api["OBJECTSTORECONFIG_HOST"] == "storage.googleapis.com" and api["OBJECTSTORECONFIG_PORT"] == "443"
    assert api["OBJECTSTORECONFIG_SECURE"] == "true"
    assert api["OBJECTSTORECONFIG_ACCESSKEY"] == {"secretKeyRef": {"name": gcs.HMAC_SECRET, "key": "accesskey"}}
    assert api["OBJECTSTORECONFIG_SECRETACCESSKEY"] == {"secretKeyRef": {"name": gcs.HMAC_SECRET, "key": "secretkey"}}
    secret = objs[("Secret", "kubeflow", gcs.HMAC_SECRET)]
    assert annotations_of(secret)[STACK_VALUE_ANNOTATION] == (
        f"accesskey={gcs.HMAC_ACCESS_VALUE},secretkey={gcs.HMAC_SECRET_VALUE}"
    )
    assert not secret.get("data") and not secret.get("stringData")  # no literal key in the render
    refs = [
        (namespace_of(o), name_of(o))
        for o in managed.objects
        for c in containers(o)
        for e in c.get("env") or []
        if ((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name") == gcs.HMAC_SECRET
    ]
    assert sorted(set(refs)) == [("kubeflow", "ml-pipeline")]
    assert objs[("ConfigMap", "kubeflow", "pipeline-install-config")]["data"]["bucketName"] == BUCKET


def test_the_ui_reads_gcs_by_identity(managed: Render) -> None:
    ui = env_of(by_key(managed.objects)[("Deployment", "kubeflow", "ml-pipeline-ui")], "ml-pipeline-ui")
    assert not STATIC_KEY_ENV & set(ui) and "AWS_S3_ENDPOINT" not in ui


@pytest.mark.parametrize("team", ["alpha", "beta"])
def test_each_team_writes_its_own_bucket_without_a_key(managed: Render, team: str) -> None:
    objs = by_key(managed.objects)
    launcher = objs[("ConfigMap", team, "kfp-launcher")]["data"]
    assert launcher["defaultPipelineRoot"] == f"gs://{BUCKET}-{team}/private-artifacts/{team}/v2/artifacts"
    assert yaml.safe_load(launcher["providers"]) == {"gs": {"default": {"credentials": {"fromEnv": True}}}}
    repo = json.loads(objs[("ConfigMap", team, "artifact-repositories")]["data"]["default-namespaced"])
    assert repo == {
        "archiveLogs": True,
        "gcs": {
            "bucket": f"{BUCKET}-{team}",
            "keyFormat": f"private-artifacts/{team}/{{{{workflow.name}}}}/{{{{pod.name}}}}",
        },
    }
    proxy = env_of(objs[("Deployment", team, gcs.ARTIFACT_PROXY)], gcs.ARTIFACT_PROXY)
    assert not STATIC_KEY_ENV & set(proxy) and "AWS_S3_ENDPOINT" not in proxy


def test_reachability_and_policies_hold(managed: Render) -> None:
    assert reachability_findings(managed.spec, managed.objects) == []
    assert [f for f in evaluate(managed.objects, PolicyContext(kind=False)) if f.severity != "info"] == []
    required = {f.name for f in required_flows(managed.spec, managed.objects)}
    assert {"team-workload-identity[alpha]:80", "team-workload-identity[beta]:988"} <= required
    assert any(n.startswith("workload-identity-ml-pipeline-ui-80") for n in required)
    assert "team-to-cloud-metadata[alpha]" in {f.name for f in forbidden_flows(managed.spec, managed.objects)}


def test_only_steps_the_proxy_and_the_ui_reach_the_metadata_server(managed: Render) -> None:
    from kubeforge.check.reachability import PROBE, synthetic_objects

    network = Network.from_objects([*managed.objects, *synthetic_objects(managed.spec)])
    step, notebook = FlowSide("alpha", STEP), FlowSide("alpha", PROBE)
    proxy = FlowSide("alpha", {"app": gcs.ARTIFACT_PROXY})
    flows = [
        Flow("step-metadata", step, FlowSide(ip="169.254.169.254"), 80),
        Flow("step-metadata-988", step, FlowSide(ip="169.254.169.252"), 988),
        Flow("proxy-metadata", proxy, FlowSide(ip="169.254.169.254"), 80),
        Flow("step-metadata-443", step, FlowSide(ip="169.254.169.254"), 443, expect="deny"),
        Flow("notebook-metadata", notebook, FlowSide(ip="169.254.169.254"), 80, expect="deny"),
        Flow("step-google-apis", step, FlowSide(ip="199.36.153.9"), 443),
        Flow("step-internet", step, FlowSide(ip="8.8.8.8"), 443, expect="deny"),
        Flow("ui-metadata", FlowSide("kubeflow", {"app": "ml-pipeline-ui"}), FlowSide(ip="169.254.169.254"), 80),
        Flow(
            "api-metadata",
            FlowSide("kubeflow", {"app": "ml-pipeline"}),
            FlowSide(ip="169.254.169.254"),
            80,
            expect="deny",
        ),
    ]
    assert [(r.flow.name, r.passed) for r in check_flows(network, flows)] == [(f.name, True) for f in flows]


def test_what_gcs_changes_passes_the_kubernetes_schemas(managed: Render) -> None:
    """The objects this mode writes or rewrites, against the strict schemas of the spec's Kubernetes."""
    objs = by_key(managed.objects)
    changed = [
        objs[("Secret", "kubeflow", gcs.HMAC_SECRET)],
        objs[("Deployment", "kubeflow", "ml-pipeline")],
        objs[("Deployment", "kubeflow", "ml-pipeline-ui")],
        objs[("ConfigMap", "kubeflow", "workflow-controller-configmap")],
        *(objs[("ConfigMap", t, n)] for t in ("alpha", "beta") for n in ("kfp-launcher", "artifact-repositories")),
    ]
    identity = [o for o in managed.objects if "workload-identity" in name_of(o) and o.get("kind") == "NetworkPolicy"]
    assert sorted({namespace_of(o) for o in identity}) == ["alpha", "beta", "kubeflow"]
    changed += identity
    errors = [
        (f.path, f.message)
        for f in validate_objects(changed, managed.spec.cluster.kubernetes_minor)
        if f.severity == "error"
    ]
    assert errors == []
