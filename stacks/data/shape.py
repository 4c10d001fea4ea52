"""What the managed data services are made of, as data: sizes, names, and the per-team object-store
policies. No Pulumi import: the shapes the cloud modules build from, and the tests and CrossGuard rules
check against, are tested without the Pulumi runtime."""

from __future__ import annotations

import json
from typing import Any

from kubeforge.isolation.stores import TEAM_PREFIXES
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
