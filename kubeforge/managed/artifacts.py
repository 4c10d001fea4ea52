"""KFP's artifact store on the cloud's object store through workload identity instead of SeaweedFS.

SeaweedFS and everything that serves it are dropped. On S3 so is every static key: the API server, the
UI and Argo use the AWS SDK's credential chain, which EKS Pod Identity feeds per service account; which
role each gets (the platform's: the bucket; a team's: its own prefixes) is the stack's (stacks/data/eks.py).
On GCS (kubeforge.managed.gcs) pods use Workload Identity and the API server, which speaks S3 only, an
HMAC key the stack fills into `kubeflow`. The render holds no cloud identity at all.
"""

from __future__ import annotations

import copy
import json

import yaml

from kubeforge.k8s import KObj, labels_of, name_of, namespace_of, pod_spec
from kubeforge.managed import gcs
from kubeforge.managed.network import STORAGE_PORT, storage_endpoint
from kubeforge.spec.model import PlatformSpec

DROPPED: frozenset[tuple[str, str, str]] = frozenset(
    {
        ("Deployment", "kubeflow", "seaweedfs"),
        ("Service", "kubeflow", "seaweedfs"),
        ("ServiceAccount", "kubeflow", "seaweedfs"),
        ("PersistentVolumeClaim", "kubeflow", "seaweedfs-pvc"),
        ("NetworkPolicy", "kubeflow", "seaweedfs"),
        ("AuthorizationPolicy", "kubeflow", "seaweedfs-service"),
        ("DestinationRule", "kubeflow", "ml-pipeline-seaweedfs"),
        # The platform's static (Admin) key: nothing reads it once the SDK chain is used.
        ("Secret", "kubeflow", "mlpipeline-minio-artifact"),
    }
)
STATIC_KEY_ENV = frozenset(
    {"OBJECTSTORECONFIG_ACCESSKEY", "OBJECTSTORECONFIG_SECRETACCESSKEY", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"}
)
# The service accounts of the platform's object-store clients: the stack gives these the bucket role.
PLATFORM_CLIENTS = ("ml-pipeline", "ml-pipeline-ui")
TEAM_CLIENT = "default-editor"  # pipeline pods and the artifact proxy of a team run as this


def s3_repository(spec: PlatformSpec, key_format: str) -> dict[str, object]:
    """An Argo S3 artifact repository on the bucket, credentials from the SDK chain (Pod Identity)."""
    return {
        "archiveLogs": True,
        "s3": {
            "endpoint": f"{storage_endpoint(spec)}:{STORAGE_PORT}",
            "bucket": spec.data.artifacts.bucket,
            "region": spec.cloud.region,
            "insecure": False,
            "keyFormat": key_format,
            "useSDKCreds": True,
        },
    }


def launcher_providers(spec: PlatformSpec) -> str:
    """kfp-launcher's `providers`: s3:// roots go to the regional endpoint with the SDK's credentials."""
    if spec.data.artifacts.provider == "gcs":
        return yaml.safe_dump(gcs.launcher_providers(), sort_keys=True)
    doc = {
        "s3": {
            "default": {
                "endpoint": storage_endpoint(spec),
                "region": spec.cloud.region,
                "disableSSL": False,
                "credentials": {"fromEnv": True},
            }
        }
    }
    return yaml.safe_dump(doc, sort_keys=True)


def _env(dep: KObj, container: str, values: dict[str, str], extra: list[dict[str, object]] | None = None) -> KObj:
    """The container without static keys, with `values` (literal) and `extra` (any env entry) set."""
    new = copy.deepcopy(dep)
    added = [{"name": k, "value": v} for k, v in values.items()] + list(extra or [])
    names = {str(e["name"]) for e in added}
    for c in (pod_spec(new) or {}).get("containers") or []:
        if c.get("name") != container:
            continue
        env = [e for e in c.get("env") or [] if e.get("name") not in STATIC_KEY_ENV and e.get("name") not in names]
        c["env"] = env + added
    return new


def _workflow_controller(cm: KObj, spec: PlatformSpec) -> KObj:
    new = copy.deepcopy(cm)
    upstream = yaml.safe_load(str((new.get("data") or {}).get("artifactRepository") or "")) or {}
    key_format = str((upstream.get("s3") or {}).get("keyFormat") or "{{workflow.name}}/{{pod.name}}")
    if spec.data.artifacts.provider == "gcs":
        # Teams override this per namespace; nothing in `kubeflow` runs workflows.
        repo = gcs.repository(gcs.platform_bucket(spec), key_format)
    else:
        repo = s3_repository(spec, key_format)
    new["data"]["artifactRepository"] = yaml.safe_dump(repo, sort_keys=True)
    return new


def _api_server(dep: KObj, spec: PlatformSpec) -> list[KObj]:
    if spec.data.artifacts.provider == "gcs":
        ours = {k: v for k, v in labels_of(dep).items() if k.startswith(("kubeforge.io/", "app.kubernetes.io/"))}
        return [_env(dep, "ml-pipeline-api-server", {}, gcs.api_server_env(spec)), gcs.hmac_secret(ours)]
    # Upstream's IRSA settings for the API server: host, region, TLS, and no keys.
    values = {
        "OBJECTSTORECONFIG_HOST": storage_endpoint(spec),
        "OBJECTSTORECONFIG_PORT": str(STORAGE_PORT),
        "OBJECTSTORECONFIG_REGION": str(spec.cloud.region),
        "OBJECTSTORECONFIG_SECURE": "true",
    }
    return [_env(dep, "ml-pipeline-api-server", values)]


def _ui(dep: KObj, spec: PlatformSpec) -> KObj:
    if spec.data.artifacts.provider == "gcs":
        return _env(dep, "ml-pipeline-ui", {})  # gs:// through the Google client's default credentials
    return _env(
        dep, "ml-pipeline-ui", {"AWS_REGION": str(spec.cloud.region), "AWS_S3_ENDPOINT": storage_endpoint(spec)}
    )


def use_managed_artifacts(spec: PlatformSpec, objects: list[KObj]) -> list[KObj]:
    out: list[KObj] = []
    for o in objects:
        key = (o.get("kind"), namespace_of(o) or "", name_of(o))
        if key in DROPPED:
            continue
        if key == ("ConfigMap", "kubeflow", "pipeline-install-config"):
            new = copy.deepcopy(o)
            new["data"]["bucketName"] = str(spec.data.artifacts.bucket)
            out.append(new)
        elif key == ("ConfigMap", "kubeflow", "workflow-controller-configmap"):
            out.append(_workflow_controller(o, spec))
        elif key == ("Deployment", "kubeflow", "ml-pipeline"):
            out += _api_server(o, spec)
        elif key == ("Deployment", "kubeflow", "ml-pipeline-ui"):
            out.append(_ui(o, spec))
        else:
            out.append(o)
    return out


def team_launcher_data(spec: PlatformSpec, team: str, bucket_root: str) -> dict[str, str]:
    if spec.data.artifacts.provider == "gcs":
        root = f"gs://{gcs.team_bucket(spec, team)}/{bucket_root}"
    else:
        root = f"s3://{spec.data.artifacts.bucket}/{bucket_root}"
    return {"defaultPipelineRoot": root, "providers": launcher_providers(spec)}


def team_repository(spec: PlatformSpec, team: str, key_format: str) -> str:
    if spec.data.artifacts.provider == "gcs":
        return json.dumps(gcs.repository(gcs.team_bucket(spec, team), key_format), sort_keys=True)
    return json.dumps(s3_repository(spec, key_format), sort_keys=True)
