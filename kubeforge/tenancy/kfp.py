"""Per-team Kubeflow Pipelines objects, rendered here instead of by upstream's metacontroller hook
(pipelines-profile-controller/sync.py): artifact store config and credentials, the artifact proxy
(ml-pipeline-ui-artifact) and the visualization server, with the policies that let KFP reach them."""

from __future__ import annotations

import json

from kubeforge.k8s import KObj, meta, obj
from kubeforge.managed import gcs
from kubeforge.managed.artifacts import team_launcher_data, team_repository
from kubeforge.managed.network import storage_endpoint
from kubeforge.names import GENERATED_SECRET_ANNOTATION, KFP_API_SA, KFP_UI_SA, TEAMS_COMPONENT
from kubeforge.release.model import Lock
from kubeforge.secrets import team_artifact_keys
from kubeforge.spec.model import PlatformSpec, Team
from kubeforge.tenancy.objectstore import ObjectStore

ARTIFACT_PROXY = gcs.ARTIFACT_PROXY
VISUALIZATION = "ml-pipeline-visualizationserver"
ARTIFACT_PROXY_PORT = 3000
VISUALIZATION_PORT = 8888
_SECURE = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "runAsUser": 10001,  # KFP images run under arbitrary UIDs (OpenShift); a high UID clashes with no host user
    "runAsGroup": 0,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


# Pods of the platform that run in a team namespace take from the team's quota: small limits (the
# sizing step fills requests), so that a team's own notebooks still fit.
TEAM_SIDE_LIMITS = {"cpu": "500m", "memory": "512Mi"}


# What checkov asks of these upstream images that they were not built for, each with its reason.
CHECKOV_SKIPS = {
    "checkov.io/skip1": "CKV_K8S_22=the upstream image writes under its working directory; not built for a read-only root",
    "checkov.io/skip2": "CKV_K8S_35=the upstream server reads its S3 credentials only from environment variables",
}


def _secret_env(store: ObjectStore, name: str, key: str) -> dict[str, object]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": store.secret, "key": key}}}


def _deployment(team: Team, name: str, image: str, port: int, env: list[dict[str, object]]) -> KObj:
    labels = {"app": name}
    container = {
        "name": name,
        "image": image,
        "imagePullPolicy": "Always",  # a moved tag is fetched again, never served stale from the node
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": env,
        "securityContext": _SECURE,
        "resources": {"limits": dict(TEAM_SIDE_LIMITS)},
        "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 10},
        "livenessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 20, "failureThreshold": 6},
    }
    pod = {
        "serviceAccountName": "default-editor",
        "automountServiceAccountToken": False,  # serves artifacts and charts; never calls the Kubernetes API
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
    }
    spec = {
        "replicas": 1,
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": pod},
    }
    deployment = obj("apps/v1", "Deployment", meta(name, team.name, TEAMS_COMPONENT, labels), spec=spec)
    deployment["metadata"]["annotations"] = dict(CHECKOV_SKIPS)
    return deployment


def _service(team: Team, name: str, port: int, target: int) -> KObj:
    ports = [{"name": "http", "port": port, "targetPort": target, "protocol": "TCP"}]
    return obj(
        "v1",
        "Service",
        meta(name, team.name, TEAMS_COMPONENT, {"app": name}),
        spec={"selector": {"app": name}, "ports": ports},
    )


def _allow_from(team: Team, name: str, principals: list[str]) -> KObj:
    spec = {
        "action": "ALLOW",
        "selector": {"matchLabels": {"app": name}},
        "rules": [{"from": [{"source": {"principals": principals}}]}],
    }
    return obj("security.istio.io/v1", "AuthorizationPolicy", meta(name, team.name, TEAMS_COMPONENT), spec=spec)


def _credentials(store: ObjectStore, team: Team) -> KObj:
    """The team's S3 key: its own SeaweedFS identity, else (MinIO, another server) the platform's key,
    as upstream's profile controller copies it: such a store cannot keep one team from another's prefixes."""
    md = meta(store.secret, team.name, TEAMS_COMPONENT)
    if store.team_identities:  # generated per team; the store's identities Secret holds the same values
        (_, access), (_, secret) = team_artifact_keys(team.name)
        md["annotations"] = {GENERATED_SECRET_ANNOTATION: f"{store.access_key}={access},{store.secret_key}={secret}"}
        return obj("v1", "Secret", md, type="Opaque")
    if store.key_ids:
        md["annotations"] = {GENERATED_SECRET_ANNOTATION: ",".join(f"{k}={v}" for k, v in store.key_ids)}
        return obj("v1", "Secret", md, type="Opaque")
    return obj("v1", "Secret", md, type="Opaque", data=dict(store.key_data))


def kfp_rendered(spec: PlatformSpec, lock: Lock) -> bool:
    """Whether this render has KFP: the release has it and the spec leaves it on."""
    return "pipelines" in lock.components and spec.enabled("pipelines", core=lock.components["pipelines"].core)


def _metadata_config(team: Team) -> KObj:
    grpc = {"METADATA_GRPC_SERVICE_HOST": "metadata-grpc-service.kubeflow", "METADATA_GRPC_SERVICE_PORT": "8080"}
    return obj("v1", "ConfigMap", meta("metadata-grpc-configmap", team.name, TEAMS_COMPONENT), data=grpc)


def _managed_config(spec: PlatformSpec, team: Team) -> list[KObj]:
    """A managed object store: no key in the team's namespace; its pods' identity (the stack's per-team
    role) opens its own prefixes only."""
    ns = team.name
    launcher_data = team_launcher_data(spec, ns, f"private-artifacts/{ns}/v2/artifacts")
    launcher = obj("v1", "ConfigMap", meta("kfp-launcher", ns, TEAMS_COMPONENT), data=launcher_data)
    repo_md = meta("artifact-repositories", ns, TEAMS_COMPONENT)
    repo_md["annotations"] = {"workflows.argoproj.io/default-artifact-repository": "default-namespaced"}
    text = team_repository(spec, ns, f"private-artifacts/{ns}/{{{{workflow.name}}}}/{{{{pod.name}}}}")
    argo = obj("v1", "ConfigMap", repo_md, data={"default-namespaced": text})
    return [launcher, _metadata_config(team), argo]


def config_objects(team: Team, store: ObjectStore) -> list[KObj]:
    ns = team.name
    secret = _credentials(store, team)
    root = f"minio://{store.bucket}/private-artifacts/{ns}/v2/artifacts"
    launcher = obj("v1", "ConfigMap", meta("kfp-launcher", ns, TEAMS_COMPONENT), data={"defaultPipelineRoot": root})
    metadata = _metadata_config(team)
    repo = {
        "archiveLogs": True,
        "s3": {
            "endpoint": store.endpoint,
            "bucket": store.bucket,
            "keyFormat": f"private-artifacts/{ns}/{{{{workflow.name}}}}/{{{{pod.name}}}}",
            "insecure": True,
            "accessKeySecret": {"name": store.secret, "key": store.access_key},
            "secretKeySecret": {"name": store.secret, "key": store.secret_key},
        },
    }
    repo_md = meta("artifact-repositories", ns, TEAMS_COMPONENT)
    repo_md["annotations"] = {"workflows.argoproj.io/default-artifact-repository": "default-namespaced"}
    argo = obj("v1", "ConfigMap", repo_md, data={"default-namespaced": json.dumps(repo, sort_keys=True)})
    return [secret, launcher, metadata, argo]


def kfp_objects(
    spec: PlatformSpec, lock: Lock, team: Team, store: ObjectStore | None, *, visualization: bool = True
) -> list[KObj]:
    """KFP's per-team objects; none when the render has no KFP. `store` is KFP's in-cluster object store,
    None with a managed one (data.artifacts)."""
    if not kfp_rendered(spec, lock):
        return []
    version = lock.components["pipelines"].version  # the frontend images are KFP's, at the locked version
    if store is None:
        env: list[dict[str, object]] = (
            []  # gs:// through the Google client's default credentials (Workload Identity)
            if spec.data.artifacts.provider == "gcs"
            else [
                {"name": "AWS_REGION", "value": str(spec.cloud.region)},
                {"name": "AWS_S3_ENDPOINT", "value": storage_endpoint(spec)},
            ]
        )
        out = _managed_config(spec, team)
    else:
        env = [
            {"name": "MINIO_HOST", "value": store.service},
            {"name": "MINIO_NAMESPACE", "value": store.namespace},
            {"name": "MINIO_PORT", "value": str(store.port)},
            _secret_env(store, "MINIO_ACCESS_KEY", store.access_key),
            _secret_env(store, "MINIO_SECRET_KEY", store.secret_key),
        ]
        out = config_objects(team, store)
    out += [
        _deployment(team, ARTIFACT_PROXY, f"ghcr.io/kubeflow/kfp-frontend:{version}", ARTIFACT_PROXY_PORT, env),
        _service(team, ARTIFACT_PROXY, 80, ARTIFACT_PROXY_PORT),
        _allow_from(team, ARTIFACT_PROXY, [KFP_UI_SA]),
    ]
    if visualization:
        image = f"ghcr.io/kubeflow/kfp-visualization-server:{version}"
        out += [
            _deployment(team, VISUALIZATION, image, VISUALIZATION_PORT, []),
            _service(team, VISUALIZATION, VISUALIZATION_PORT, VISUALIZATION_PORT),
            _allow_from(team, VISUALIZATION, [KFP_API_SA, KFP_UI_SA]),
        ]
    return out
