"""The data CrossGuard rules (policy/data.py) on the resources the mocked programs register with managed
databases and S3: none fires on what stacks/data/ builds, and each fires, alone, on one planted violation."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from policy_pack import load_policy_module, policy_options
from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `stacks` is a top-level folder of the repository

from kubeforge.spec import load_spec  # noqa: E402
from stacks.mocked import ClusterRun, Registration, run_cluster_mocked, unwrap  # noqa: E402

data = load_policy_module("data.py")
SPECS: dict[str, dict[str, Any]] = {
    "eks": {
        "data": {
            "database": {"provider": "rds"},
            "artifacts": {"provider": "s3", "bucket": "kf-artifacts-example", "endpoint_cidrs": ["52.216.0.0/15"]},
        }
    },
    "gke": {
        "cloud": {"project": "ml-platform-prod"},
        "teams": [{"name": "alpha", "owners": ["alice@example.com"]}, {"name": "beta", "owners": ["bob@example.com"]}],
        "identity": {"groups": []},
        "data": {
            "database": {"provider": "cloudsql"},
            "artifacts": {"provider": "gcs", "bucket": "kf-artifacts-example", "endpoint_cidrs": ["199.36.153.8/30"]},
        },
    },
    "aks": {
        "cloud": {"subscription": "00000000-0000-0000-0000-000000000001"},
        "data": {"database": {"provider": "azure-mysql"}},
    },
}
RDS, SQL, AZ = data.RDS, data.CLOUD_SQL, data.AZURE_MYSQL
_runs: dict[str, ClusterRun] = {}


def registrations(cloud: str) -> list[Registration]:
    if cloud not in _runs:
        _runs[cloud] = run_cluster_mocked(load_spec(cloud, extra=SPECS[cloud]), stack=f"{cloud}-policy")
    return copy.deepcopy(_runs[cloud].registrations)


def violations(regs: list[Registration]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    opts = {r.urn: policy_options(r.parent) for r in regs}
    resources = [PolicyResource(r.type, unwrap(r.inputs), r.urn, r.name, opts[r.urn], None, None, [], {}) for r in regs]
    for policy in data.policies():

        def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
            found.append((name, message))

        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(resources, config={}), report)
        else:
            assert isinstance(policy, ResourceValidationPolicy)
            for r in regs:
                policy.validate(
                    ResourceValidationArgs(r.type, unwrap(r.inputs), r.urn, r.name, opts[r.urn], None), report
                )
    return found


def planted(cloud: str, type_: str, mutate: Callable[[dict[str, Any]], None]) -> list[str]:
    regs = registrations(cloud)
    matching = [r for r in regs if r.type == type_]
    assert len(matching) == 1, f"{cloud} registers {len(matching)} {type_}"
    mutate(matching[0].inputs)
    return sorted({name for name, _ in violations(regs)})


@pytest.mark.parametrize("cloud", list(SPECS))
def test_no_rule_fires_on_what_the_stack_builds(cloud: str) -> None:
    assert violations(registrations(cloud)) == []


def test_the_pack_has_the_documented_rules() -> None:
    names = [p.name for p in data.policies()]
    assert names == [
        "kubeforge-database-public",
        "kubeforge-database-encryption",
        "kubeforge-database-backups",
        "kubeforge-gcs-public-access",
        "kubeforge-gcs-protection",
        "kubeforge-bucket-public-access",
        "kubeforge-bucket-encryption",
        "kubeforge-gcs-team-grants",
    ]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(props: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            props = props.setdefault(key, {})
        if value is None:
            props.pop(last, None)
        else:
            props[last] = value

    return mutate


@pytest.mark.parametrize(
    ("cloud", "type_", "path", "value"),
    [
        ("eks", RDS, "publiclyAccessible", True),
        ("gke", SQL, "settings.ipConfiguration.ipv4Enabled", True),
        ("gke", SQL, "settings.ipConfiguration.ipv4Enabled", None),  # Cloud SQL's default is a public IP
        ("aks", AZ, "network.publicNetworkAccess", "Enabled"),
    ],
)
def test_a_public_database(cloud: str, type_: str, path: str, value: Any) -> None:
    assert planted(cloud, type_, _set(path, value)) == ["kubeforge-database-public"]


@pytest.mark.parametrize(
    ("cloud", "type_", "path", "value"),
    [
        ("eks", RDS, "storageEncrypted", False),
        ("eks", RDS, "kmsKeyId", None),
        ("gke", SQL, "encryptionKeyName", None),
        ("aks", AZ, "dataEncryption", None),
    ],
)
def test_an_unencrypted_database(cloud: str, type_: str, path: str, value: Any) -> None:
    assert planted(cloud, type_, _set(path, value)) == ["kubeforge-database-encryption"]


@pytest.mark.parametrize(
    ("cloud", "type_", "path", "value"),
    [
        ("eks", RDS, "backupRetentionPeriod", 0),
        ("eks", RDS, "skipFinalSnapshot", True),
        ("gke", SQL, "settings.backupConfiguration.enabled", False),
        ("aks", AZ, "backup.backupRetentionDays", 0),
    ],
)
def test_backups_off(cloud: str, type_: str, path: str, value: Any) -> None:
    assert planted(cloud, type_, _set(path, value)) == ["kubeforge-database-backups"]


def test_a_bucket_without_its_public_access_block() -> None:
    block = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    assert planted("eks", block, _set("restrictPublicBuckets", False)) == ["kubeforge-bucket-public-access"]
    regs = [r for r in registrations("eks") if r.type != block]
    assert sorted({n for n, _ in violations(regs)}) == ["kubeforge-bucket-public-access"]


def test_a_bucket_without_kms_encryption() -> None:
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"

    def aes(props: dict[str, Any]) -> None:
        props["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] = "AES256"

    assert planted("eks", sse, aes) == ["kubeforge-bucket-encryption"]
    regs = [r for r in registrations("eks") if r.type != sse]
    assert sorted({n for n, _ in violations(regs)}) == ["kubeforge-bucket-encryption"]


def test_a_public_gcs_bucket() -> None:
    found = []
    for policy in data.policies():
        if isinstance(policy, ResourceValidationPolicy):
            args = ResourceValidationArgs(
                data.GCS_BUCKET,
                {
                    "publicAccessPrevention": "inherited",
                    "uniformBucketLevelAccess": True,
                    "encryption": {"defaultKmsKeyName": "projects/p/locations/l/keyRings/r/cryptoKeys/k"},
                },
                "urn:x",
                "b",
                policy_options(""),
                None,
            )
            policy.validate(args, lambda message, urn=None, name=policy.name: found.append(name))
    assert found == ["kubeforge-gcs-public-access"]


def planted_on(
    cloud: str, type_: str, pick: Callable[[dict[str, Any]], bool], mutate: Callable[[dict[str, Any]], None]
) -> list[str]:
    """Like planted, on the one `type_` resource whose inputs `pick` selects."""
    regs = registrations(cloud)
    matching = [r for r in regs if r.type == type_ and pick(unwrap(r.inputs))]
    assert len(matching) == 1, f"{cloud} registers {len(matching)} matching {type_}"
    mutate(matching[0].inputs)
    return sorted({name for name, _ in violations(regs)})


def _bucket(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda props: props.get("name") == name


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("publicAccessPrevention", "inherited", "kubeforge-gcs-public-access"),
        ("uniformBucketLevelAccess", False, "kubeforge-gcs-protection"),
        ("encryption", None, "kubeforge-gcs-protection"),
    ],
)
def test_an_unprotected_team_bucket(path: str, value: Any, rule: str) -> None:
    assert planted_on("gke", data.GCS_BUCKET, _bucket("kf-artifacts-example-alpha"), _set(path, value)) == [rule]


def test_a_team_principal_on_another_team_s_bucket() -> None:
    def alpha_writer(props: dict[str, Any]) -> bool:
        return str(props.get("member", "")).endswith("/subject/ns/alpha/sa/default-editor")

    found = planted_on("gke", data.GCS_MEMBER, alpha_writer, _set("bucket", "kf-artifacts-example-beta"))
    assert found == ["kubeforge-gcs-team-grants"]
