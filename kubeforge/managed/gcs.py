"""KFP's artifacts on Google Cloud Storage (gke): what KFP 2.16 and Argo 3.7.3 can do, and what they cannot.

- Pipeline pods (kfp-launcher) and Argo's log archive write `gs://` with Application Default Credentials:
  Workload Identity Federation for GKE gives each team's `default-editor` its own principal, and the stack
  grants it its own bucket only (`<bucket>-<team>`: IAM conditions cannot scope `objects.list`, which the
  launcher calls to fetch input artifacts).
- KFP's UI reads `gs://` the same way (its own principal: every team bucket, read only).
- KFP's API server speaks S3 only (OBJECTSTORECONFIG_*; upstream's object-store guide: GCS unsupported),
  so it uses GCS's S3-compatible XML API with an HMAC key of a service account that opens the platform
  bucket (`<bucket>`: pipeline specs) and nothing else. The stack makes the key and fills the Secret here;
  the render holds neither the key nor any cloud identity, and no team namespace holds a key.
"""

from __future__ import annotations

from kubeforge.k8s import KObj, meta, obj
from kubeforge.names import STACK_VALUE_ANNOTATION
from kubeforge.spec.model import PlatformSpec

ENDPOINT = "storage.googleapis.com"
# SigV4 over GCS's XML API: `auto` stands for the bucket's location (a region the S3 client need not know).
SIGNING_REGION = "auto"
HMAC_SECRET = "kfp-gcs-hmac"  # in `kubeflow` only: the API server's key to the platform bucket
HMAC_ACCESS_VALUE = "artifacts-hmac-access-id"
HMAC_SECRET_VALUE = "artifacts-hmac-secret"
# Where pods get their Workload Identity token: the GKE metadata server (GKE's docs: with network policies,
# allow 169.254.169.254/32 on 80, and 169.254.169.252/32 on 988 where the server listens on Dataplane V2).
METADATA_SERVER: tuple[tuple[str, int], ...] = (("169.254.169.254/32", 80), ("169.254.169.252/32", 988))
# The pods of a team that get a token: pipeline steps (Argo labels every workflow pod) and the artifact proxy.
WORKFLOW_POD_LABEL = "workflows.argoproj.io/workflow"
ARTIFACT_PROXY = "ml-pipeline-ui-artifact"


def team_bucket(spec: PlatformSpec, team: str) -> str:
    return f"{spec.data.artifacts.bucket}-{team}"


def platform_bucket(spec: PlatformSpec) -> str:
    return str(spec.data.artifacts.bucket)


def repository(bucket: str, key_format: str) -> dict[str, object]:
    """An Argo GCS artifact repository without serviceAccountKeySecret: Argo 3.7.3's driver then calls
    storage.NewClient with the pod's default credentials (workflow/artifacts/gcs/gcs.go)."""
    return {"archiveLogs": True, "gcs": {"bucket": bucket, "keyFormat": key_format}}


def launcher_providers() -> dict[str, object]:
    """kfp-launcher's `providers`: gs:// roots with the environment's credentials (no Secret)."""
    return {"gs": {"default": {"credentials": {"fromEnv": True}}}}


def api_server_env(spec: PlatformSpec) -> list[dict[str, object]]:
    """The API server on GCS's XML API (TLS), with the platform bucket's HMAC key from `kubeflow`."""

    def key(name: str, field: str) -> dict[str, object]:
        return {"name": name, "valueFrom": {"secretKeyRef": {"name": HMAC_SECRET, "key": field}}}

    return [
        {"name": "OBJECTSTORECONFIG_HOST", "value": ENDPOINT},
        {"name": "OBJECTSTORECONFIG_PORT", "value": "443"},
        {"name": "OBJECTSTORECONFIG_REGION", "value": SIGNING_REGION},
        {"name": "OBJECTSTORECONFIG_SECURE", "value": "true"},
        key("OBJECTSTORECONFIG_ACCESSKEY", "accesskey"),
        key("OBJECTSTORECONFIG_SECRETACCESSKEY", "secretkey"),
    ]


def hmac_secret(labels: dict[str, str]) -> KObj:
    """The HMAC key's Secret: no data here, the stack sets both keys (stacks/program.py); never a literal key."""
    keys = {"accesskey": HMAC_ACCESS_VALUE, "secretkey": HMAC_SECRET_VALUE}
    md = meta(HMAC_SECRET, "kubeflow", "pipelines", labels)
    md["annotations"] = {STACK_VALUE_ANNOTATION: ",".join(f"{k}={v}" for k, v in sorted(keys.items()))}
    return obj("v1", "Secret", md, type="Opaque")
