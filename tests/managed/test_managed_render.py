"""The render with a managed database and S3 (eks): the in-cluster MySQL and SeaweedFS are gone, KFP,
Katib and Model Registry get the stack-filled host, the artifact store is reached by identity (no key in
any namespace), and the NetworkPolicies open exactly the database and the object store's ranges.
Real engine, real upstream manifests; only the values the stack fills (the host) stay placeholders here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeforge.check.reachability import forbidden_flows, reachability_findings, required_flows
from kubeforge.identity import FileSecretStore
from kubeforge.k8s import KObj, annotations_of, name_of, namespace_of
from kubeforge.managed import database as db
from kubeforge.managed.artifacts import STATIC_KEY_ENV
from kubeforge.managed.network import database_cidr
from kubeforge.names import STACK_VALUE_ANNOTATION, STACK_VALUE_PLACEHOLDER
from kubeforge.netpol import Network, check_flows
from kubeforge.policy import PolicyContext, evaluate
from kubeforge.render import Render, render_platform
from kubeforge.spec import load_spec
from kubeforge.spec.model import PlatformSpec

from .objects import by_key, containers, env_of

BUCKET = "kf-artifacts-example"
S3_RANGES = ["52.216.0.0/15", "54.231.0.0/16"]
TEAMS = [
    {"name": "alpha", "owners": ["alice@example.com"], "egress": {"cidrs": ["10.20.0.0/16"]}},
    {"name": "beta", "owners": ["bob@example.com"]},
]
MANAGED = {
    "teams": TEAMS,
    "identity": {"groups": []},
    "data": {
        "database": {"provider": "rds"},
        "artifacts": {"provider": "s3", "bucket": BUCKET, "endpoint_cidrs": S3_RANGES},
    },
}
IN_CLUSTER = {
    "teams": TEAMS,
    "identity": {"groups": []},
    "data": {"database": {"provider": "in-cluster"}, "artifacts": {"provider": "in-cluster"}},
}


def _render(source_cache: Path, tmp: Path, extra: dict[str, Any]) -> Render:
    spec = load_spec("eks", extra=extra)
    return render_platform(spec, cache=source_cache, secrets=FileSecretStore(tmp))


@pytest.fixture(scope="module")
def managed(source_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Render:
    return _render(source_cache, tmp_path_factory.mktemp("managed"), MANAGED)


# --- nothing of the in-cluster stores is rendered ---------------------------------------------------------
def test_no_in_cluster_mysql_or_seaweedfs(managed: Render) -> None:
    objs = by_key(managed.objects)
    for key in (
        *db.DROPPED,
        ("Deployment", "kubeflow", "seaweedfs"),
        ("PersistentVolumeClaim", "kubeflow", "seaweedfs-pvc"),
    ):
        assert key not in objs, key
    # Each team's model registry keeps a MySQL of its own (test_each_teams_registry_keeps_its_own_database).
    platform = [o for o in managed.objects if namespace_of(o) == "kubeflow" and o.get("kind") != "Job"]
    images = [c["image"] for o in platform for c in containers(o)]
    assert not [i for i in images if i.split(":")[0].endswith(("mysql", "seaweedfs"))]
    # Nothing left that calls them: no host, no root Secret, no SeaweedFS identities.
    text = json.dumps([o for o in managed.objects if namespace_of(o) == "kubeflow"])
    assert [g for g in ("seaweedfs.kubeflow", "tcp(model-registry-db:", '"katib-mysql"') if g in text] == []
    assert ("Secret", "kubeflow", "mysql-root") not in objs
    assert ("Secret", "kubeflow", "seaweedfs-team-identities") not in objs
    assert not [
        o for o in managed.objects if o.get("kind") == "PersistentVolumeClaim" and namespace_of(o) == "kubeflow"
    ]


def test_the_defaults_change_nothing(source_cache: Path, tmp_path: Path, managed: Render) -> None:
    default = _render(source_cache, tmp_path / "a", {"teams": TEAMS, "identity": {"groups": []}})
    explicit = _render(source_cache, tmp_path / "b", IN_CLUSTER)
    differ = [k for k, o in by_key(default.objects).items() if by_key(explicit.objects).get(k) != o]
    assert differ == [] and len(default.objects) == len(explicit.objects)
    assert ("Deployment", "kubeflow", "mysql") in by_key(default.objects)  # the in-cluster stores are there


# --- the components on the managed database ----------------------------------------------------------------
def _filled(o: KObj) -> dict[str, str]:
    return dict(kv.split("=") for kv in annotations_of(o)[STACK_VALUE_ANNOTATION].split(","))


def test_components_read_the_stack_filled_host(managed: Render) -> None:
    objs = by_key(managed.objects)
    kfp = objs[("ConfigMap", "kubeflow", "pipeline-install-config")]
    assert _filled(kfp) == {"dbHost": db.HOST_VALUE, "mysqlHost": db.HOST_VALUE}
    assert kfp["data"]["dbHost"] == STACK_VALUE_PLACEHOLDER + db.HOST_VALUE and kfp["data"]["dbPort"] == "3306"
    katib = env_of(objs[("Deployment", "kubeflow", "katib-db-manager")], "katib-db-manager")
    assert katib["KATIB_MYSQL_DB_HOST"] == {"configMapKeyRef": {"name": db.KATIB_DATABASE_CONFIG, "key": "host"}}
    assert katib["DB_USER"] == "katib" and katib["KATIB_MYSQL_DB_DATABASE"] == "katib"
    assert _filled(objs[("ConfigMap", "kubeflow", db.KATIB_DATABASE_CONFIG)]) == {"host": db.HOST_VALUE}


def test_each_teams_registry_keeps_its_own_database(managed: Render) -> None:
    objs = by_key(managed.objects)
    assert ("Job", "kubeflow", "model-registry-db-bootstrap") not in objs  # no shared registry database
    for team in ("alpha", "beta"):
        params = objs[("ConfigMap", team, "model-registry-db-parameters")]
        assert STACK_VALUE_ANNOTATION not in annotations_of(params)  # not the managed server's host
        args = " ".join(containers(objs[("Deployment", team, "model-registry-deployment")])[0]["args"])
        assert "@tcp(model-registry-db:" in args  # the team's own MySQL Service, in its namespace
        assert ("Deployment", team, "model-registry-db") in objs


def test_without_teams_the_registry_uses_the_managed_database(source_cache: Path, tmp_path: Path) -> None:
    objs = by_key(_render(source_cache, tmp_path, {**MANAGED, "teams": []}).objects)
    registry = objs[("ConfigMap", "kubeflow", "model-registry-db-parameters")]
    assert _filled(registry) == {"MYSQL_HOST": db.HOST_VALUE}
    assert registry["data"]["MYSQL_DATABASE"] == db.REGISTRY_DATABASE  # not KFP's metadb on the same server
    args = " ".join(containers(objs[("Deployment", "kubeflow", "model-registry-deployment")])[0]["args"])
    assert "tcp($(MYSQL_HOST):$(MYSQL_PORT))/$(MYSQL_DATABASE)" in args and "MYSQL_ROOT_PASSWORD" not in args
    assert ("Job", "kubeflow", "model-registry-db-bootstrap") in objs and (
        "Deployment",
        "kubeflow",
        "model-registry-db",
    ) not in objs


# With teams the registry keeps its own MySQL per team (test above): KFP and Katib bootstrap here.
@pytest.mark.parametrize(
    "consumer", [c for c in db.CONSUMERS if c.component != "model-registry"], ids=lambda c: c.component
)
def test_each_component_bootstraps_its_own_database_and_user(managed: Render, consumer: db.Consumer) -> None:
    objs = by_key(managed.objects)
    job = objs[("Job", "kubeflow", f"{consumer.component}-db-bootstrap")]
    admin = objs[("Secret", "kubeflow", f"{consumer.component}-db-admin")]
    assert _filled(admin) == {"password": db.ADMIN_PASSWORD_VALUE}
    assert "password" not in (admin.get("data") or {})  # no literal admin password in the render
    script = containers(job)[0]["command"][-1]
    for database in consumer.databases:
        assert f"GRANT ALL PRIVILEGES ON \\`{database}\\`.* TO '{consumer.user}'@'%';" in script
    assert script.count("GRANT") == len(consumer.databases)  # its own databases, nothing else
    _bootstrap_reads_its_secrets(objs, consumer)


def _bootstrap_reads_its_secrets(objs: dict[tuple[str, str, str], KObj], consumer: db.Consumer) -> None:
    job = objs[("Job", "kubeflow", f"{consumer.component}-db-bootstrap")]
    admin = objs[("Secret", "kubeflow", f"{consumer.component}-db-admin")]
    env = env_of(job, "bootstrap")
    assert env["USER_PASSWORD"] == {"secretKeyRef": {"name": consumer.password_ref[0], "key": consumer.password_ref[1]}}
    assert env["MYSQL_PWD"] == {"secretKeyRef": {"name": admin["metadata"]["name"], "key": "password"}}
    assert job["spec"]["template"]["metadata"]["annotations"]["sidecar.istio.io/inject"] == "false"
    assert containers(job)[0]["securityContext"]["readOnlyRootFilesystem"] is True


# --- artifacts on S3 through identity, no static key anywhere --------------------------------------------
def test_kfp_uses_s3_by_identity(managed: Render) -> None:
    objs = by_key(managed.objects)
    api = env_of(objs[("Deployment", "kubeflow", "ml-pipeline")], "ml-pipeline-api-server")
    assert api["OBJECTSTORECONFIG_HOST"] == "s3.us-east-1.amazonaws.com"
    assert api["OBJECTSTORECONFIG_SECURE"] == "true" and api["OBJECTSTORECONFIG_REGION"] == "us-east-1"
    assert objs[("ConfigMap", "kubeflow", "pipeline-install-config")]["data"]["bucketName"] == BUCKET
    repo = yaml.safe_load(
        objs[("ConfigMap", "kubeflow", "workflow-controller-configmap")]["data"]["artifactRepository"]
    )
    assert repo["s3"]["useSDKCreds"] is True and repo["s3"]["bucket"] == BUCKET
    assert "accessKeySecret" not in repo["s3"]


def test_no_static_key_in_any_namespace(managed: Render) -> None:
    for o in managed.objects:
        for c in containers(o):
            assert not STATIC_KEY_ENV & {e["name"] for e in c.get("env") or []}, name_of(o)
    # CRDs name accessKeySecret in their schemas; no object uses one.
    text = json.dumps([o for o in managed.objects if o.get("kind") != "CustomResourceDefinition"])
    assert [g for g in ("mlpipeline-minio-artifact", "accessKeySecret") if g in text] == []


@pytest.mark.parametrize("team", ["alpha", "beta"])
def test_each_team_writes_only_under_its_own_prefix(managed: Render, team: str) -> None:
    objs = by_key(managed.objects)
    # No S3 key: the team's only Secret is its model registry's MySQL password.
    secrets = [name_of(o) for o in managed.objects if o.get("kind") == "Secret" and namespace_of(o) == team]
    assert secrets == ["model-registry-db-secrets"]
    launcher = objs[("ConfigMap", team, "kfp-launcher")]["data"]
    assert launcher["defaultPipelineRoot"] == f"s3://{BUCKET}/private-artifacts/{team}/v2/artifacts"
    assert yaml.safe_load(launcher["providers"])["s3"]["default"]["credentials"] == {"fromEnv": True}
    repo = json.loads(objs[("ConfigMap", team, "artifact-repositories")]["data"]["default-namespaced"])
    assert repo["s3"]["keyFormat"].startswith(f"private-artifacts/{team}/")
    assert repo["s3"]["useSDKCreds"] is True


# --- network: the database and the object store, nothing wider ----------------------------------------------
def test_reachability_and_policies_hold(managed: Render) -> None:
    spec: PlatformSpec = managed.spec
    assert reachability_findings(spec, managed.objects) == []
    assert [f for f in evaluate(managed.objects, PolicyContext(kind=False)) if f.severity != "info"] == []


def test_the_proof_covers_the_managed_flows(managed: Render) -> None:
    spec: PlatformSpec = managed.spec
    required = {f.name.split(":")[0]: f for f in required_flows(spec, managed.objects)}
    for name in ("managed-database-kfp-api", "managed-database-katib-db-manager", "managed-artifacts-ml-pipeline"):
        assert name in required
    assert "team-artifact-store[alpha]" in required and "team-artifact-store[beta]" in required
    forbidden = {f.name for f in forbidden_flows(spec, managed.objects)}
    assert {"team-to-database[alpha]", "team-to-database[beta]"} <= forbidden
    assert database_cidr(spec) == "10.40.128.0/19"


def test_a_team_reaches_the_store_on_443_only(managed: Render) -> None:
    from kubeforge.check.reachability import PROBE, synthetic_objects
    from kubeforge.netpol import Flow, FlowSide

    network = Network.from_objects([*managed.objects, *synthetic_objects(managed.spec)])
    probe = FlowSide("beta", PROBE)
    flows = [
        Flow("store-443", probe, FlowSide(ip="52.216.1.1"), 443),
        Flow("store-80", probe, FlowSide(ip="52.216.1.1"), 80, expect="deny"),
        Flow("internet-443", probe, FlowSide(ip="8.8.8.8"), 443, expect="deny"),
        Flow("database", probe, FlowSide(ip="10.40.128.5"), 3306, expect="deny"),
        Flow("kfp-api-db", FlowSide("kubeflow", {"app": "ml-pipeline"}), FlowSide(ip="10.40.128.5"), 3306),
        Flow("ui-db", FlowSide("kubeflow", {"app": "ml-pipeline-ui"}), FlowSide(ip="10.40.128.5"), 3306, expect="deny"),
    ]
    assert [(r.flow.name, r.passed) for r in check_flows(network, flows)] == [(f.name, True) for f in flows]


def test_pipeline_pods_reach_the_pod_identity_agent_and_notebooks_do_not(managed: Render) -> None:
    """Under default-deny the SDK's credentials call (EKS Pod Identity agent, 169.254.170.23:80) was
    refused: S3 through identity could not have signed a request. Steps, the artifact proxy and KFP's
    server and UI reach it; a notebook does not, and nobody reaches the instance metadata."""
    from kubeforge.check.reachability import PROBE, STEP, synthetic_objects
    from kubeforge.netpol import Flow, FlowSide

    network = Network.from_objects([*managed.objects, *synthetic_objects(managed.spec)])
    agent = FlowSide(ip="169.254.170.23")
    flows = [
        Flow("step", FlowSide("alpha", STEP), agent, 80),
        Flow("artifact-proxy", FlowSide("alpha", {"app": "ml-pipeline-ui-artifact"}), agent, 80),
        Flow("kfp-api", FlowSide("kubeflow", {"app": "ml-pipeline"}), agent, 80),
        Flow("kfp-ui", FlowSide("kubeflow", {"app": "ml-pipeline-ui"}), agent, 80),
        Flow("notebook", FlowSide("alpha", PROBE), agent, 80, expect="deny"),
        Flow("step-imds", FlowSide("alpha", STEP), FlowSide(ip="169.254.169.254"), 80, expect="deny"),
    ]
    assert [(r.flow.name, r.passed) for r in check_flows(network, flows)] == [(f.name, True) for f in flows]
