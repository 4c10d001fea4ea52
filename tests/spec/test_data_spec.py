"""The spec's data section (managed database and artifact store): defaults in the cluster, each cloud's
own services only, and every refusal one line naming the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kubeforge.errors import BadInput
from kubeforge.spec import load_spec

KUBEFORGE = Path(sys.executable).parent / "kubeforge"
ACCOUNT: dict[str, dict[str, Any]] = {
    "eks": {},
    "gke": {"project": "ml-platform-prod"},
    "aks": {"subscription": "00000000-0000-0000-0000-000000000001"},
}
S3 = {"provider": "s3", "bucket": "kf-artifacts-example", "endpoint_cidrs": ["52.216.0.0/15"]}


def error(profile: str, extra: dict[str, Any]) -> str:
    with pytest.raises(BadInput) as info:
        load_spec(profile, extra=extra)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("stack config: ")  # where `extra` comes from (kubeforge:spec)
    return message.removeprefix("stack config: ")


@pytest.mark.parametrize("profile", ["kind", "production", "eks", "gke", "aks"])
def test_every_profile_keeps_its_data_in_the_cluster(profile: str) -> None:
    spec = load_spec(profile, extra={"cloud": ACCOUNT[profile]} if profile in ACCOUNT else None)
    assert spec.data.database.provider == "in-cluster" and not spec.data.database.managed
    assert spec.data.artifacts.provider == "in-cluster" and not spec.data.artifacts.managed


@pytest.mark.parametrize(("cloud", "database"), [("eks", "rds"), ("gke", "cloudsql"), ("aks", "azure-mysql")])
def test_each_cloud_takes_its_own_database(cloud: str, database: str) -> None:
    spec = load_spec(cloud, extra={"cloud": ACCOUNT[cloud], "data": {"database": {"provider": database}}})
    assert spec.data.database.managed
    assert spec.data.database.deletion_protection and spec.data.database.backup_days == 7


@pytest.mark.parametrize(("cloud", "database"), [("eks", "cloudsql"), ("gke", "rds"), ("aks", "rds")])
def test_another_cloud_s_database_names_the_field(cloud: str, database: str) -> None:
    message = error(cloud, {"cloud": ACCOUNT[cloud], "data": {"database": {"provider": database}}})
    assert message.startswith(f"data.database.provider: {database} runs next to a ")
    assert f"cloud.provider is '{cloud}'" in message


def test_a_managed_database_without_a_cloud_names_the_field() -> None:
    message = error("production", {"data": {"database": {"provider": "rds"}}})
    assert message == "data.database.provider: rds runs next to a eks cluster, but cloud.provider is 'none'"


def test_s3_on_eks_with_its_bucket_and_ranges() -> None:
    spec = load_spec("eks", extra={"data": {"artifacts": S3}})
    assert spec.data.artifacts.managed and spec.data.artifacts.bucket == "kf-artifacts-example"


@pytest.mark.parametrize(
    ("missing", "field"), [("bucket", "data.artifacts.bucket"), ("endpoint_cidrs", "data.artifacts.endpoint_cidrs")]
)
def test_s3_without_its_bucket_or_ranges_names_the_field(missing: str, field: str) -> None:
    artifacts = {k: v for k, v in S3.items() if k != missing}
    assert error("eks", {"data": {"artifacts": artifacts}}).startswith(f"{field}: data.artifacts.provider s3 needs ")


def test_the_object_store_ranges_never_cover_cloud_metadata() -> None:
    message = error("eks", {"data": {"artifacts": {**S3, "endpoint_cidrs": ["169.254.0.0/16"]}}})
    assert message.startswith("data.artifacts.endpoint_cidrs.0: ")
    assert "cloud metadata" in message


GCS = {"provider": "gcs", "bucket": "kf-artifacts-example", "endpoint_cidrs": ["199.36.153.8/30"]}


def test_gcs_on_gke_with_its_bucket_and_ranges() -> None:
    spec = load_spec("gke", extra={"cloud": ACCOUNT["gke"], "data": {"artifacts": GCS}})
    assert spec.data.artifacts.managed and spec.data.artifacts.provider == "gcs"


def test_gcs_elsewhere_names_the_field() -> None:
    message = error("eks", {"data": {"artifacts": GCS}})
    assert message == "data.artifacts.provider: gcs runs next to a gke cluster, but cloud.provider is 'eks'"


def test_gcs_team_buckets_too_long_name_the_field() -> None:
    teams = [{"name": "a" * 20, "owners": ["alice@example.com"]}]
    extra = {
        "cloud": ACCOUNT["gke"],
        "teams": teams,
        "identity": {"groups": []},
        "data": {"artifacts": {**GCS, "bucket": "b" * 50}},
    }
    message = error("gke", extra)
    assert message.startswith("data.artifacts.bucket: each team gets its own bucket <bucket>-<team>, at most 63 ")


def test_gcs_bucket_with_dots_names_the_field() -> None:
    extra = {"cloud": ACCOUNT["gke"], "data": {"artifacts": {**GCS, "bucket": "kf.artifacts.example"}}}
    assert error("gke", extra).startswith("data.artifacts.bucket: a GCS bucket name with dots needs a verified domain")


def test_blob_is_refused_naming_the_upstream_limit() -> None:
    extra = {"cloud": ACCOUNT["aks"], "data": {"artifacts": {"provider": "blob", "bucket": "kf-artifacts-example"}}}
    message = error("aks", extra)
    assert message.startswith("data.artifacts.provider: blob is not supported: KFP 2.16's launcher takes gs://")
    assert "backend/src/v2/objectstore/config.go" in message and message.endswith("keep in-cluster on aks")


def test_a_managed_database_needs_room_in_the_network() -> None:
    extra = {"cloud": {"network_cidr": "10.40.0.0/20"}, "data": {"database": {"provider": "rds"}}}
    assert error("eks", extra).startswith("cloud.network_cidr: a managed database needs a /17 or larger network")


def test_the_cli_refuses_a_mismatched_database_in_one_line(tmp_path: Path) -> None:
    if not KUBEFORGE.is_file():
        pytest.skip("the kubeforge console script is not installed")
    overrides = tmp_path / "data.yaml"
    overrides.write_text("data:\n  database: {provider: cloudsql}\n", encoding="utf-8")
    proc = subprocess.run(
        [str(KUBEFORGE), "spec", "show", "--profile", "eks", "-f", str(overrides)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "data.database.provider: cloudsql runs next to a gke cluster" in lines[0]
