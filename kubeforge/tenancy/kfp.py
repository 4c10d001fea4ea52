"""Per-team Kubeflow Pipelines objects, rendered here instead of by upstream's metacontroller hook
(pipelines-profile-controller/sync.py): artifact store config and credentials, the artifact proxy
(ml-pipeline-ui-artifact) and the visualization server, with the policies that let KFP reach them."""

from __future__ import annotations

import json

from kubeforge.k8s import KObj, meta, obj
from kubeforge.managed.artifacts import team_launcher_data, team_repository
from kubeforge.managed.network import storage_endpoint
from kubeforge.names import FILL_ANNOTATION, KFP_API_SA, KFP_UI_SA, TEAMS_COMPONENT
from kubeforge.release.model import Lock
from kubeforge.spec.model import PlatformSpec, Team

BUCKET = "mlpipeline"
ARTIFACT_SECRET = "mlpipeline-minio-artifact"
OBJECT_STORE = "seaweedfs.kubeflow"
ARTIFACT_PROXY = "ml-pipeline-ui-artifact"
VISUALIZATION = "ml-pipeline-visualizationserver"
ARTIFACT_PROXY_PORT = 3000
VISUALIZATION_PORT = 8888
# The apply stage fills this Secret from a per-team SeaweedFS IAM key (scoped to the team's prefixes).
FILL_VALUE = "seaweedfs-iam-access-key"
_SECURE = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "runAsUser": 10001,  # KFP images run under arbitrary UIDs (OpenShift); a high UID clashes with no host user
    "runAsGroup": 0,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


# What checkov asks of these upstream images that they were not built for, each with its reason.
CHECKOV_SKIPS = {
    "checkov.io/skip1": "CKV_K8S_22=the upstream image writes under its working directory; not built for a read-only root",
    "checkov.io/skip2": "CKV_K8S_35=the upstream server reads its S3 credentials only from environment variables",
}


def _secret_env(name: str, key: str) -> dict[str, object]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": ARTIFACT_SECRET, "key": key}}}


def _deployment(team: Team, name: str, image: str, port: int, env: list[dict[str, object]]) -> KObj:
    labels = {"app": name}
    container = {
        "name": name,
        "image": image,
        "imagePullPolicy": "Always",  # a moved tag is fetched again, never served stale from the node
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": env,
        "securityContext": _SECURE,
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


def config_objects(team: Team, spec: PlatformSpec) -> list[KObj]:
    ns = team.name
    managed = spec.data.artifacts.managed
    md = meta(ARTIFACT_SECRET, ns, TEAMS_COMPONENT)
    md["annotations"] = {FILL_ANNOTATION: FILL_VALUE}
    secret = obj("v1", "Secret", md, type="Opaque")
    root = f"minio://{BUCKET}/private-artifacts/{ns}/v2/artifacts"
    launcher_data = {"defaultPipelineRoot": root}
    if managed:
        # No key in the team's namespace: its pods' identity (the stack's per-team role) opens its prefixes only.
        launcher_data = team_launcher_data(spec, ns, f"private-artifacts/{ns}/v2/artifacts")
    launcher = obj("v1", "ConfigMap", meta("kfp-launcher", ns, TEAMS_COMPONENT), data=launcher_data)
    grpc = {"METADATA_GRPC_SERVICE_HOST": "metadata-grpc-service.kubeflow", "METADATA_GRPC_SERVICE_PORT": "8080"}
    metadata = obj("v1", "ConfigMap", meta("metadata-grpc-configmap", ns, TEAMS_COMPONENT), data=grpc)
    repo = {
        "archiveLogs": True,
        "s3": {
            "endpoint": f"{OBJECT_STORE}:9000",
            "bucket": BUCKET,
            "keyFormat": f"private-artifacts/{ns}/{{{{workflow.name}}}}/{{{{pod.name}}}}",
            "insecure": True,
            "accessKeySecret": {"name": ARTIFACT_SECRET, "key": "accesskey"},
            "secretKeySecret": {"name": ARTIFACT_SECRET, "key": "secretkey"},
        },
    }
    repo_md = meta("artifact-repositories", ns, TEAMS_COMPONENT)
    repo_md["annotations"] = {"workflows.argoproj.io/default-artifact-repository": "default-namespaced"}
    text = json.dumps(repo, sort_keys=True)
    if managed:
        text = team_repository(spec, f"private-artifacts/{ns}/{{{{workflow.name}}}}/{{{{pod.name}}}}")
    argo = obj("v1", "ConfigMap", repo_md, data={"default-namespaced": text})
    return [launcher, metadata, argo] if managed else [secret, launcher, metadata, argo]


def kfp_objects(spec: PlatformSpec, lock: Lock, team: Team, *, visualization: bool = True) -> list[KObj]:
    if not spec.enabled("pipelines"):
        return []
    version = lock.components["pipelines"].version  # the frontend images are KFP's, at the locked version
    env: list[dict[str, object]] = [
        {"name": "MINIO_HOST", "value": "seaweedfs"},
        {"name": "MINIO_NAMESPACE", "value": "kubeflow"},
        {"name": "MINIO_PORT", "value": "9000"},
        _secret_env("MINIO_ACCESS_KEY", "accesskey"),
        _secret_env("MINIO_SECRET_KEY", "secretkey"),
    ]
    if spec.data.artifacts.managed:
        env = [
            {"name": "AWS_REGION", "value": str(spec.cloud.region)},
            {"name": "AWS_S3_ENDPOINT", "value": storage_endpoint(spec)},
        ]
    out = config_objects(team, spec)
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
