"""CrossGuard rules for managed data services (stacks/data/): databases and buckets as the engine sees them.

Each rule reads the resource's inputs (camelCase, as Pulumi sends them to the provider), so it holds for any
program: a database reachable from the internet, unencrypted or without backups, a bucket without its public
access block or its encryption, a team's principal on another team's GCS bucket. policy/__main__.py adds these to the pack beside the cluster rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

RDS = "aws:rds/instance:Instance"
CLOUD_SQL = "gcp:sql/databaseInstance:DatabaseInstance"
AZURE_MYSQL = "azure-native:dbformysql:Server"
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GCS_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
# A Workload Identity Federation for GKE principal: `.../subject/ns/<namespace>/sa/<service account>`.
WIF_SUBJECT = re.compile(r"^principal://iam\.googleapis\.com/.+/subject/ns/([^/]+)/sa/([^/]+)$")
TEAM_LABEL = "kubeforge-team"
BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

Props = dict[str, Any]


def _get(props: Props, *path: str) -> Any:
    value: Any = props
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def database_public(resource_type: str, props: Props) -> Iterator[str]:
    if resource_type == RDS and props.get("publiclyAccessible") is True:
        yield "RDS instance is publicly accessible: set publiclyAccessible false"
    elif resource_type == CLOUD_SQL:
        # Cloud SQL gives an instance a public IPv4 address unless told not to.
        if _get(props, "settings", "ipConfiguration", "ipv4Enabled") is not False:
            yield "Cloud SQL instance has a public IP: set settings.ipConfiguration.ipv4Enabled false"
    elif resource_type == AZURE_MYSQL and _get(props, "network", "publicNetworkAccess") != "Disabled":
        yield "Azure MySQL server allows public network access: set network.publicNetworkAccess Disabled"


def database_unencrypted(resource_type: str, props: Props) -> Iterator[str]:
    if resource_type == RDS and (props.get("storageEncrypted") is not True or not props.get("kmsKeyId")):
        yield "RDS storage is not encrypted with a KMS key (storageEncrypted, kmsKeyId)"
    elif resource_type == CLOUD_SQL and not props.get("encryptionKeyName"):
        yield "Cloud SQL instance is not encrypted with a Cloud KMS key (encryptionKeyName)"
    elif resource_type == AZURE_MYSQL and _get(props, "dataEncryption", "type") != "AzureKeyVault":
        yield "Azure MySQL server is not encrypted with a Key Vault key (dataEncryption)"


def _below_one(value: Any) -> bool:
    """Not a number of days/backups of at least one (the engine sends numbers as floats; True is no number)."""
    return not isinstance(value, int | float) or isinstance(value, bool) or value < 1


def backups_off(resource_type: str, props: Props) -> Iterator[str]:
    if resource_type == RDS:
        days = props.get("backupRetentionPeriod")
        if _below_one(days):
            yield f"RDS automated backups are off (backupRetentionPeriod {days})"
        if props.get("skipFinalSnapshot") is True:
            yield "RDS instance is deleted without a final snapshot (skipFinalSnapshot)"
    elif resource_type == CLOUD_SQL and _get(props, "settings", "backupConfiguration", "enabled") is not True:
        yield "Cloud SQL automated backups are off (settings.backupConfiguration.enabled)"
    elif resource_type == AZURE_MYSQL:
        days = _get(props, "backup", "backupRetentionDays")
        if days is not None and _below_one(days):
            yield f"Azure MySQL backups are off (backup.backupRetentionDays {days})"


def gcs_bucket(resource_type: str, props: Props) -> Iterator[str]:
    if resource_type == GCS_BUCKET and props.get("publicAccessPrevention") != "enforced":
        yield "GCS bucket does not enforce public access prevention (publicAccessPrevention)"


def gcs_protection(resource_type: str, props: Props) -> Iterator[str]:
    if resource_type != GCS_BUCKET:
        return
    if props.get("uniformBucketLevelAccess") is not True:
        yield "GCS bucket allows object ACLs: set uniformBucketLevelAccess true (IAM only)"
    if not _get(props, "encryption", "defaultKmsKeyName"):
        yield "GCS bucket is not encrypted with a Cloud KMS key (encryption.defaultKmsKeyName)"


def gcs_team_grants(resources: list[Any]) -> Iterator[tuple[str, str]]:
    """A team's Workload Identity principal is granted on its own bucket only (the bucket's kubeforge-team
    label); the platform's principals (namespace kubeflow) are not a team's."""
    owner = {
        str(r.props.get("name")): str((r.props.get("labels") or {}).get(TEAM_LABEL, ""))
        for r in resources
        if r.resource_type == GCS_BUCKET
    }
    for r in resources:
        if r.resource_type != GCS_MEMBER:
            continue
        match = WIF_SUBJECT.match(str((r.props or {}).get("member") or ""))
        if not match or match.group(1) == "kubeflow":
            continue
        bucket = str(r.props.get("bucket"))
        if owner.get(bucket) != match.group(1):
            yield r.urn, f"team {match.group(1)}'s principal is granted on bucket {bucket}, not its own"


# --- an S3 bucket's protections are separate resources: stack rules -----------------------------------------
def _parent(resource: Any) -> str:
    opts = getattr(resource, "opts", None)
    return str(getattr(opts, "parent", None) or getattr(resource, "parent", None) or "")


def _siblings(resources: list[Any], type_: str, ok: Callable[[Props], bool]) -> dict[str, int]:
    """Parent URN -> number of conforming `type_` resources under it."""
    out: dict[str, int] = {}
    for r in resources:
        if r.resource_type == type_ and ok(dict(r.props or {})):
            out[_parent(r)] = out.get(_parent(r), 0) + 1
    return out


def s3_public_access(resources: list[Any]) -> Iterator[tuple[str, str]]:
    """Every S3 bucket has a public access block beside it (same parent) with all four blocks on."""
    blocks = _siblings(resources, S3_PUBLIC_ACCESS_BLOCK, lambda p: all(p.get(b) is True for b in BLOCKS))
    buckets = [r for r in resources if r.resource_type == S3_BUCKET]
    for r in buckets:
        if blocks.get(_parent(r), 0) < sum(1 for b in buckets if _parent(b) == _parent(r)):
            yield r.urn, f"S3 bucket has no public access block with {', '.join(BLOCKS)} all true"


def s3_encryption(resources: list[Any]) -> Iterator[tuple[str, str]]:
    """Every S3 bucket has a KMS server-side encryption configuration beside it (same parent)."""

    def kms(p: Props) -> bool:
        return any(
            _get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") in ("aws:kms", "aws:kms:dsse")
            for rule in p.get("rules") or []
        )

    configs = _siblings(resources, S3_ENCRYPTION, kms)
    buckets = [r for r in resources if r.resource_type == S3_BUCKET]
    for r in buckets:
        if configs.get(_parent(r), 0) < sum(1 for b in buckets if _parent(b) == _parent(r)):
            yield r.urn, "S3 bucket is not encrypted with a KMS key (no BucketServerSideEncryptionConfiguration)"


Check = Callable[[str, Props], Iterator[str]]
RULES: list[tuple[str, str, Check]] = [
    ("kubeforge-database-public", "A managed database has no public address.", database_public),
    ("kubeforge-database-encryption", "A managed database is encrypted with a managed key.", database_unencrypted),
    ("kubeforge-database-backups", "A managed database keeps automated backups.", backups_off),
    ("kubeforge-gcs-public-access", "A GCS bucket enforces public access prevention.", gcs_bucket),
    ("kubeforge-gcs-protection", "A GCS bucket is IAM-only and encrypted with a Cloud KMS key.", gcs_protection),
]
StackCheck = Callable[[list[Any]], Iterator[tuple[str, str]]]
STACK_RULES: list[tuple[str, str, StackCheck]] = [
    ("kubeforge-bucket-public-access", "Every S3 bucket blocks public access.", s3_public_access),
    ("kubeforge-bucket-encryption", "Every S3 bucket is encrypted with a KMS key.", s3_encryption),
    ("kubeforge-gcs-team-grants", "A team's principal is granted on its own GCS bucket only.", gcs_team_grants),
]


def _resource_policy(name: str, description: str, check: Check) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in check(args.resource_type, dict(args.props or {})):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


def _stack_policy(name: str, description: str, check: StackCheck) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for urn, message in check(list(args.resources)):
            report_violation(message, urn)

    return StackValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [*(_resource_policy(*rule) for rule in RULES), *(_stack_policy(*rule) for rule in STACK_RULES)]
