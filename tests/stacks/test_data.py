"""Managed data services under mocks, for each cloud: the database in the cluster's network, private,
encrypted with the stack's key, backed up and protected; S3 with its protections and one identity per
team limited to the team's prefixes; and the platform on top reading what the stack created.

Simulated: the clouds' answers (the database's address, ids, zones) come from stacks/mocked.py's
CLOUD_OUTPUTS and CLOUD_CALLS; there is no cloud account here. Inputs, parents and dependencies are the
program's own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from registrations import closure, inputs, one

from kubeforge.errors import BadInput
from kubeforge.managed import gcs
from kubeforge.managed.network import database_cidr, database_subnets
from kubeforge.names import STACK_VALUE_PLACEHOLDER
from kubeforge.spec import PlatformSpec, load_spec
from stacks.config import StackConfig
from stacks.data.shape import API_ACCOUNT, GCS_READ, GCS_WRITE, object_prefixes, team_prefixes, wif_principal
from stacks.mocked import (
    CLOUD_OUTPUTS,
    ClusterRun,
    MockedRun,
    Registration,
    fake_password,
    is_secret,
    run_cluster_mocked,
    run_mocked,
)
from stacks.program import Renderer

ACCOUNT: dict[str, dict[str, Any]] = {
    "eks": {},
    "gke": {"cloud": {"project": "ml-platform-prod"}},
    "aks": {"cloud": {"subscription": "00000000-0000-0000-0000-000000000001"}},
}
BUCKET = "kf-artifacts-example"
DATA: dict[str, dict[str, Any]] = {
    "eks": {
        "database": {"provider": "rds"},
        "artifacts": {"provider": "s3", "bucket": BUCKET, "endpoint_cidrs": ["52.216.0.0/15"]},
    },
    "gke": {
        "database": {"provider": "cloudsql"},
        "artifacts": {"provider": "gcs", "bucket": BUCKET, "endpoint_cidrs": ["199.36.153.8/30"]},
    },
    "aks": {"database": {"provider": "azure-mysql"}},
}
TEAMS = [
    {"name": "alpha", "owners": ["alice@example.com"]},
    {"name": "beta", "owners": ["bob@example.com"]},
]
CLOUDS = list(ACCOUNT)
COMPONENT = {"eks": "kubeforge:data:EksData", "gke": "kubeforge:data:GkeData", "aks": "kubeforge:data:AksData"}
NETWORK = {"eks": "aws:ec2/vpc:Vpc", "gke": "gcp:compute/network:Network", "aks": "azure-native:network:VirtualNetwork"}
DATABASE = {
    "eks": "aws:rds/instance:Instance",
    "gke": "gcp:sql/databaseInstance:DatabaseInstance",
    "aks": "azure-native:dbformysql:Server",
}
KEY = {"eks": "aws:kms/key:Key", "gke": "gcp:kms/cryptoKey:CryptoKey", "aks": "azure-native:keyvault:Key"}
# The components on the database; the rest is off: the wiring is what is checked, a full render costs more.
SLIM = ("notebooks", "knative", "kserve", "volumes", "tensorboards", "pvc-viewer", "trainer", "spark")


def spec_for(cloud: str, **data: Any) -> PlatformSpec:
    extra = {**ACCOUNT[cloud], "teams": TEAMS, "identity": {"groups": []}, "data": data or DATA[cloud]}
    return load_spec(cloud, extra=extra)


_runs: dict[str, ClusterRun] = {}


def data_run(cloud: str) -> ClusterRun:
    if cloud not in _runs:
        _runs[cloud] = run_cluster_mocked(spec_for(cloud), stack=cloud)
    return _runs[cloud]


# --- the graph: the cluster's network -> database / bucket, all under one component -------------------------
@pytest.mark.parametrize("cloud", CLOUDS)
def test_data_resources_are_children_of_their_component(cloud: str) -> None:
    run = data_run(cloud)
    component = one(run, COMPONENT[cloud])
    children = [r for r in run.registrations if r.parent == component.urn]
    assert one(run, DATABASE[cloud]) in children
    assert not component.parent.endswith(("Eks::kubeflow", "Gke::kubeflow", "Aks::kubeflow"))  # beside the cluster
    assert set(run.outputs[component.urn]) >= {"databaseHost"}
    assert run.outputs[component.urn]["databaseHost"] == next(
        v
        for k, v in CLOUD_OUTPUTS[DATABASE[cloud]].items()
        if k in ("address", "privateIpAddress", "fullyQualifiedDomainName")
    )


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_database_sits_in_the_cluster_s_network_and_key(cloud: str) -> None:
    run = data_run(cloud)
    reach = closure(run.registrations)
    database = one(run, DATABASE[cloud])
    assert one(run, NETWORK[cloud]).urn in reach[database.urn]
    keys = [k.urn for k in run.of_type(KEY[cloud])]
    assert set(keys) & reach[database.urn], "encrypted with a key the stack made"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_admin_password_is_generated_and_secret(cloud: str) -> None:
    run = data_run(cloud)
    password = one(run, "random:index/randomPassword:RandomPassword")
    assert inputs(password)["special"] is False and inputs(password)["length"] == 32
    field = {"eks": "password", "gke": None, "aks": "administratorLoginPassword"}[cloud]
    holder = one(run, "gcp:sql/user:User") if cloud == "gke" else one(run, DATABASE[cloud])
    assert is_secret(holder.inputs[field or "password"])


def test_rds_is_private_encrypted_backed_up_and_protected() -> None:
    run = data_run("eks")
    rds = inputs(one(run, DATABASE["eks"]))
    assert rds["publiclyAccessible"] is False
    assert rds["storageEncrypted"] is True and rds["kmsKeyId"] == CLOUD_OUTPUTS["aws:kms/key:Key"]["arn"]
    assert rds["backupRetentionPeriod"] == 7
    assert rds["deletionProtection"] is True and rds["skipFinalSnapshot"] is False and rds["finalSnapshotIdentifier"]
    subnets = [inputs(s)["cidrBlock"] for s in run.of_type("aws:ec2/subnet:Subnet") if "-db-" in s.name]
    assert subnets == database_subnets(spec_for("eks"), 2)
    firewall = inputs(one(run, "aws:ec2/securityGroup:SecurityGroup"))
    assert [(r["fromPort"], r["cidrBlocks"]) for r in firewall["ingress"]] == [(3306, ["10.40.0.0/16"])]


def test_cloud_sql_is_private_encrypted_backed_up_and_protected() -> None:
    run = data_run("gke")
    sql = inputs(one(run, DATABASE["gke"]))
    ip = sql["settings"]["ipConfiguration"]
    assert ip["ipv4Enabled"] is False and ip["privateNetwork"]
    assert sql["encryptionKeyName"] and sql["deletionProtection"] is True
    assert sql["settings"]["deletionProtectionEnabled"] is True
    assert sql["settings"]["backupConfiguration"]["enabled"] is True
    assert sql["settings"]["finalBackupConfig"]["enabled"] is True
    reserved = inputs(one(run, "gcp:compute/globalAddress:GlobalAddress"))
    # Numbers travel as floats (protobuf Struct).
    assert f"{reserved['address']}/{int(reserved['prefixLength'])}" == database_cidr(spec_for("gke"))


def test_azure_mysql_is_private_encrypted_backed_up_and_locked() -> None:
    run = data_run("aks")
    server = inputs(one(run, DATABASE["aks"]))
    assert server["network"]["publicNetworkAccess"] == "Disabled" and server["network"]["delegatedSubnetResourceId"]
    assert server["dataEncryption"]["type"] == "AzureKeyVault"
    assert server["backup"]["backupRetentionDays"] == 7
    assert inputs(one(run, "azure-native:authorization:ManagementLockByScope"))["level"] == "CanNotDelete"
    subnet = next(inputs(s) for s in run.of_type("azure-native:network:Subnet") if s.name.endswith("-db"))
    assert subnet["delegations"][0]["serviceName"] == "Microsoft.DBforMySQL/flexibleServers"


# --- S3 and the identities -----------------------------------------------------------------------------------
def test_the_bucket_blocks_public_access_and_is_encrypted_and_versioned() -> None:
    run = data_run("eks")
    assert inputs(one(run, "aws:s3/bucket:Bucket"))["bucket"] == BUCKET
    block = inputs(one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"))
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    sse = inputs(one(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"))
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert (
        inputs(one(run, "aws:s3/bucketVersioning:BucketVersioning"))["versioningConfiguration"]["status"] == "Enabled"
    )
    assert one(run, "aws:s3/bucket:Bucket").retain_on_delete  # `pulumi destroy` keeps the artifacts


def _policies(run: ClusterRun) -> dict[str, str]:
    return {r.name: inputs(r)["policy"] for r in run.of_type("aws:iam/rolePolicy:RolePolicy")}


def test_each_team_has_its_own_role_limited_to_its_prefixes() -> None:
    run = data_run("eks")
    policies = _policies(run)
    for team in ("alpha", "beta"):
        own = team_prefixes(team)
        allowed = object_prefixes(policies[f"kubeforge-kubeflow-team-{team}"], BUCKET)
        assert allowed and all(any(p == o or p.startswith(o + "/") for o in own) for p in allowed), allowed
    assert object_prefixes(policies["kubeforge-kubeflow-artifacts-platform"], BUCKET) == [""]  # the whole bucket


def test_identities_bind_the_team_s_pods_and_the_platform_only() -> None:
    run = data_run("eks")
    roles = {r.urn: r.name for r in run.of_type("aws:iam/role:Role")}
    bindings = {
        (inputs(r)["namespace"], inputs(r)["serviceAccount"]): r.property_dependencies["roleArn"]
        for r in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    assert set(bindings) == {
        ("kubeflow", "ml-pipeline"),
        ("kubeflow", "ml-pipeline-ui"),
        ("alpha", "default-editor"),
        ("beta", "default-editor"),
    }
    assert [roles[u] for u in bindings[("alpha", "default-editor")]] == ["kubeforge-kubeflow-team-alpha"]
    assert [roles[u] for u in bindings[("beta", "default-editor")]] == ["kubeforge-kubeflow-team-beta"]
    assert [roles[u] for u in bindings[("kubeflow", "ml-pipeline")]] == ["kubeforge-kubeflow-artifacts-platform"]
    assert not run.of_type("aws:iam/accessKey:AccessKey")  # no static key is ever made


# --- GCS: one bucket per team, Workload Identity principals, one HMAC key for the API server ------------------
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GCS_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"


def _buckets(run: ClusterRun) -> dict[str, Registration]:
    return {inputs(r)["name"]: r for r in run.of_type(GCS_BUCKET)}


def test_each_gcs_bucket_is_private_encrypted_versioned_and_kept() -> None:
    run = data_run("gke")
    buckets = _buckets(run)
    assert set(buckets) == {BUCKET, f"{BUCKET}-alpha", f"{BUCKET}-beta"}
    key = next(r for r in run.of_type(KEY["gke"]) if inputs(r)["name"] == "kubeforge-kubeflow-artifacts")
    for reg in buckets.values():
        props = inputs(reg)
        assert props["publicAccessPrevention"] == "enforced" and props["uniformBucketLevelAccess"] is True
        assert props["versioning"] == {"enabled": True} and props["forceDestroy"] is False
        assert props["location"] == "EUROPE-WEST4"
        assert reg.property_dependencies["encryption"] == [key.urn]  # the artifacts' own key in the cluster's ring
        assert reg.retain_on_delete  # `pulumi destroy` keeps the artifacts
    agent = "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
    grants = {
        (inputs(r)["member"], inputs(r)["role"]): r.property_dependencies["cryptoKeyId"]
        for r in run.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    }
    assert grants[(agent, "roles/cloudkms.cryptoKeyEncrypterDecrypter")] == [key.urn]  # Storage's agent, this key


def _grants(run: ClusterRun) -> set[tuple[str, str, str]]:
    buckets = {r.urn: inputs(r)["name"] for r in run.of_type(GCS_BUCKET)}
    out = set()
    for r in run.of_type(GCS_MEMBER):
        (bucket_urn,) = r.property_dependencies["bucket"]
        out.add((buckets[bucket_urn], inputs(r)["role"], inputs(r)["member"]))
    return out


def test_each_team_principal_writes_its_own_bucket_only() -> None:
    run = data_run("gke")
    grants = _grants(run)

    def principal(who: str) -> str:
        return wif_principal("123456789012", "ml-platform-prod", who)

    api = "serviceAccount:fake@project.iam.gserviceaccount.com"
    for team in ("alpha", "beta"):
        mine = {(b, role) for b, role, m in grants if m == principal(f"{team}/default-editor")}
        assert mine == {(f"{BUCKET}-{team}", GCS_WRITE)}
    ui = {(b, role) for b, role, m in grants if m == principal("kubeflow/ml-pipeline-ui")}
    assert ui == {(b, GCS_READ) for b in _buckets(run)}  # read only, every bucket
    assert {b for b, _, m in grants if m == api} == {BUCKET}  # the HMAC account: the platform bucket alone
    grantees = ("alpha/default-editor", "beta/default-editor", "kubeflow/ml-pipeline-ui")
    assert {m for _, _, m in grants} == {api, *(principal(w) for w in grantees)}
    assert principal("alpha/default-editor") == (
        "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/"
        "ml-platform-prod.svc.id.goog/subject/ns/alpha/sa/default-editor"
    )


def test_one_hmac_key_for_the_api_server_and_nothing_else() -> None:
    run = data_run("gke")
    hmac = one(run, "gcp:storage/hmacKey:HmacKey")
    accounts = {r.urn: inputs(r)["accountId"] for r in run.of_type("gcp:serviceaccount/account:Account")}
    assert [accounts[u] for u in hmac.property_dependencies["serviceAccountEmail"]] == ["kf-kubeflow-kfp-api"]
    assert API_ACCOUNT not in json.dumps([inputs(r) for r in run.registrations])  # a label of the shape, not a member
    assert not run.of_type("gcp:serviceaccount/key:Key")  # no service account key is ever made


# --- the platform on top ----------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=CLOUDS)
def platform_run(request: pytest.FixtureRequest, renderer: Renderer) -> tuple[str, MockedRun]:
    cloud: str = request.param
    spec = {**ACCOUNT[cloud], "teams": TEAMS, "identity": {"groups": []}, "data": DATA[cloud]}
    spec["components"] = {c: {"enabled": False} for c in SLIM}
    return cloud, run_mocked(StackConfig(cloud, spec, cluster=cloud), renderer, stack=f"{cloud}-data")


def test_the_platform_reads_what_the_stack_created(platform_run: tuple[str, MockedRun]) -> None:
    cloud, run = platform_run
    host = run.exports["data"]["databaseHost"]
    database = one(run, DATABASE[cloud])
    reach = closure(run.registrations)
    maps = {r.name: r for r in run.of_type("kubernetes:core/v1:ConfigMap")}
    kfp = maps["configmap-kubeflow-pipeline-install-config"]
    assert inputs(kfp)["data"]["dbHost"] == host == inputs(kfp)["data"]["mysqlHost"]
    assert inputs(maps["configmap-kubeflow-katib-database"])["data"]["host"] == host
    # With teams each team's model registry keeps its own MySQL (tests/managed): no registry config here.
    assert "configmap-kubeflow-model-registry-db-parameters" not in maps
    for reg in maps.values():  # network -> database -> platform (a component dependency is its children)
        assert database.urn in reach[reg.urn], f"{reg.name} is applied before the database exists"
    secrets = {r.name: r for r in run.of_type("kubernetes:core/v1:Secret")}
    admin = secrets["secret-kubeflow-pipelines-db-admin"]
    assert is_secret(admin.inputs["stringData"])
    assert inputs(admin)["stringData"]["password"] == fake_password("database-admin")  # the database's own
    text = json.dumps([inputs(r) for r in run.registrations])
    assert STACK_VALUE_PLACEHOLDER not in text, "a placeholder reached the cluster"
    if cloud == "gke":  # the API server's HMAC key, from the stack's HmacKey, as a secret
        hmac = secrets[f"secret-kubeflow-{gcs.HMAC_SECRET}"]
        assert is_secret(hmac.inputs["stringData"])
        assert inputs(hmac)["stringData"] == {"accesskey": "GOOGFAKEHMACACCESSID", "secretkey": "fake-hmac-secret"}
        assert one(run, "gcp:storage/hmacKey:HmacKey").urn in reach[hmac.urn]


def test_no_in_cluster_database_or_store_is_applied(platform_run: tuple[str, MockedRun]) -> None:
    cloud, run = platform_run
    objs = [o for g in run.of_type("kubernetes:yaml/v2:ConfigGroup") for o in g.inputs["objs"]]
    platform = [o for o in objs if o["metadata"].get("namespace") == "kubeflow"]
    deployments = {o["metadata"]["name"] for o in platform if o["kind"] == "Deployment"}
    assert not deployments & {"mysql", "katib-mysql", "model-registry-db"}
    assert ("seaweedfs" in deployments) == (cloud == "aks")  # S3 on eks, GCS on gke; blob is refused upstream
    team = ("alpha", "beta")
    team_secrets = [
        inputs(r)["metadata"]["name"]
        for r in run.of_type("kubernetes:core/v1:Secret")
        if inputs(r)["metadata"].get("namespace") in team
    ]
    team_secrets += [
        o["metadata"]["name"] for o in objs if o["kind"] == "Secret" and o["metadata"].get("namespace") in team
    ]
    # Each team's model registry keeps its own MySQL password (tests/managed): that is no store key.
    team_secrets = [name for name in team_secrets if name != "model-registry-db-secrets"]
    assert (team_secrets == []) == (cloud != "aks"), "no key in a team's namespace when the store is S3 or GCS"


def test_managed_data_without_the_stack_s_cluster_is_refused(renderer: Renderer) -> None:
    spec = {"data": DATA["eks"], "cluster": {"api_server": ["10.0.0.10/32"]}}
    with pytest.raises(BadInput) as info:
        run_mocked(StackConfig("eks", spec, context="prod"), renderer, stack="no-cluster")
    assert info.value.field == "kubeforge:cluster"
    assert "set kubeforge:cluster eks" in str(info.value)
