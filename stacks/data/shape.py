"""What the managed data services are made of, as data: sizes, names, and the per-team object-store
policies. No Pulumi import: the shapes the cloud modules build from, and the tests and CrossGuard rules
check against, are tested without the Pulumi runtime."""

from __future__ import annotations

import json
from typing import Any

from kubeforge.isolation.stores import TEAM_PREFIXES
from kubeforge.managed import gcs
from kubeforge.managed.artifacts import TEAM_CLIENT
from kubeforge.spec.model import PlatformSpec

DEFAULT_SIZES = {"rds": "db.t4g.medium", "cloudsql": "db-custom-2-7680", "azure-mysql": "Standard_B2ms"}
# Azure's tier follows from the SKU's family (B: burstable, D: general purpose, E: memory optimised).
AZURE_TIERS = {"B": "Burstable", "D": "GeneralPurpose", "E": "MemoryOptimized"}
MYSQL_VERSION = {"rds": "8.4", "cloudsql": "MYSQL_8_4", "azure-mysql": "8.0.21"}
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def size(spec: PlatformSpec) -> str:
    db = spec.data.database
    return db.size or DEFAULT_SIZES[db.provider]


def azure_tier(sku: str) -> str:
    family = sku.removeprefix("Standard_")[:1]
    return AZURE_TIERS.get(family, "GeneralPurpose")


def team_prefixes(team: str) -> list[str]:
    """The bucket prefixes a team's identity opens: the same as its SeaweedFS identity's in-cluster."""
    return [p.format(team=team) for p in TEAM_PREFIXES]


def _doc(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def s3_team_policy(bucket: str, team: str, key_arn: str) -> str:
    """A team's role: read, write and list under its own prefixes, nothing else of the bucket."""
    prefixes = team_prefixes(team)
    return _doc(
        [
            {
                "Sid": "OwnPrefixes",
                "Effect": "Allow",
                "Action": list(OBJECT_ACTIONS),
                "Resource": [f"arn:aws:s3:::{bucket}/{p}/*" for p in prefixes],
            },
            {
                "Sid": "ListOwnPrefixes",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
                "Condition": {"StringLike": {"s3:prefix": [x for p in prefixes for x in (p, f"{p}/*")]}},
            },
            {"Sid": "BucketKey", "Effect": "Allow", "Action": list(KMS_ACTIONS), "Resource": [key_arn]},
        ]
    )


def s3_platform_policy(bucket: str, key_arn: str) -> str:
    """The platform's role (KFP's API server and UI in `kubeflow`): the whole bucket."""
    return _doc(
        [
            {
                "Sid": "Objects",
                "Effect": "Allow",
                "Action": list(OBJECT_ACTIONS),
                "Resource": [f"arn:aws:s3:::{bucket}/*"],
            },
            {
                "Sid": "Bucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
            },
            {"Sid": "BucketKey", "Effect": "Allow", "Action": list(KMS_ACTIONS), "Resource": [key_arn]},
        ]
    )


def tls_only_policy(bucket: str) -> str:
    """The bucket refuses plain HTTP: every client uses TLS."""
    return _doc(
        [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    )


def object_prefixes(policy: str, bucket: str) -> list[str]:
    """Every object prefix an IAM policy allows (`` for the whole bucket), from its object ARNs and
    its ListBucket prefix conditions: what a test or rule compares with a team's own prefixes."""
    out: list[str] = []
    for st in json.loads(policy).get("Statement") or []:
        if st.get("Effect") != "Allow":
            continue
        resources = st.get("Resource") or []
        for r in [resources] if isinstance(resources, str) else resources:
            if r in ("*", "arn:aws:s3:::*"):
                out.append("")
            elif r.startswith(f"arn:aws:s3:::{bucket}/"):
                out.append(r.removeprefix(f"arn:aws:s3:::{bucket}/").rstrip("*").rstrip("/"))
            elif r == f"arn:aws:s3:::{bucket}" and "s3:ListBucket" in (st.get("Action") or []):
                cond = ((st.get("Condition") or {}).get("StringLike") or {}).get("s3:prefix")
                if not cond:
                    out.append("")
                else:
                    out += [str(c).rstrip("*").rstrip("/") for c in ([cond] if isinstance(cond, str) else cond)]
    return sorted(set(out))


# --- GCS (gke): one bucket per team, grants to Workload Identity principals ------------------------------------
GCS_WRITE = "roles/storage.objectUser"  # objects: create, get, list, update, delete
GCS_READ = "roles/storage.objectViewer"
GCS_BUCKET_GET = "roles/storage.legacyBucketReader"  # buckets.get: the API server checks its bucket at start
API_ACCOUNT = "kubeflow/ml-pipeline (HMAC)"  # not a Kubernetes principal: the HMAC key's service account


def gcs_buckets(spec: PlatformSpec) -> dict[str, str]:
    """Bucket name -> whose: the platform's (pipeline specs) and one per team (its artifacts and logs)."""
    out = {gcs.platform_bucket(spec): ""}
    if spec.enabled("pipelines"):
        out.update({gcs.team_bucket(spec, t.name): t.name for t in sorted(spec.teams, key=lambda t: t.name)})
    return out


def gcs_grants(spec: PlatformSpec) -> list[tuple[str, str, str]]:
    """(bucket, role, grantee): a team's `default-editor` writes its own bucket only, KFP's UI reads every
    bucket, and the API server's HMAC account writes the platform bucket only. Grantee: `namespace/ksa`."""
    out: list[tuple[str, str, str]] = []
    for bucket, team in gcs_buckets(spec).items():
        if team:
            out.append((bucket, GCS_WRITE, f"{team}/{TEAM_CLIENT}"))
        else:
            out += [(bucket, GCS_WRITE, API_ACCOUNT), (bucket, GCS_BUCKET_GET, API_ACCOUNT)]
        out.append((bucket, GCS_READ, "kubeflow/ml-pipeline-ui"))
    return out


def gcs_account_id(cluster: str) -> str:
    """The API server's service account id: 6-30 characters, a letter first, no hyphen last."""
    return f"kf-{cluster}"[:22].rstrip("-") + "-kfp-api"


def wif_principal(project_number: str, project: str, grantee: str) -> str:
    """Workload Identity Federation for GKE: a Kubernetes service account as an IAM principal (no Google
    service account, no annotation on the Kubernetes side)."""
    namespace, ksa = grantee.split("/")
    pool = f"{project}.svc.id.goog"
    return (
        f"principal://iam.googleapis.com/projects/{project_number}/locations/global/workloadIdentityPools/"
        f"{pool}/subject/ns/{namespace}/sa/{ksa}"
    )
