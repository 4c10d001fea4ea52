"""KFP's object store, read from the render instead of assumed: the S3 host and port KFP's API server is
configured with, the Service and pods behind them, the credentials Secret and its keys, and the bucket.
A release whose store is SeaweedFS, MinIO or renamed yields the store it really renders; one whose store
cannot be traced fails with one line naming the release, the component and what is missing."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from kubeforge.errors import BadInput
from kubeforge.k8s import KObj, name_of, namespace_of, pod_spec, pod_template_labels, selects
from kubeforge.secrets import value_ids

API_SERVER = "ml-pipeline"  # KFP's API server Deployment: the one object that names the store it uses
HOST_ENV = "OBJECTSTORECONFIG_HOST"
PORT_ENV = "OBJECTSTORECONFIG_PORT"
BUCKET_ENV = "OBJECTSTORECONFIG_BUCKETNAME"
ACCESS_ENV = "OBJECTSTORECONFIG_ACCESSKEY"
SECRET_ENV = "OBJECTSTORECONFIG_SECRETACCESSKEY"
SEAWEEDFS = "seaweedfs"
MINIO = "minio"


@dataclass(frozen=True)
class ObjectStore:
    service: str
    namespace: str
    port: int  # the Service port S3 clients call
    pods: dict[str, str] = field(hash=False)  # the Service's selector
    pod_port: int  # the container port behind `port` (what a NetworkPolicy admits)
    secret: str  # the credentials Secret, the same name in every namespace that reads it
    access_key: str
    secret_key: str
    bucket: str
    server: str  # SEAWEEDFS, MINIO, or the image of an S3 server kubeforge knows nothing more about
    workload: str  # the Deployment (or StatefulSet) serving it
    # The platform key's generated value ids ((key, value id), ...), else the Secret's data as upstream has it.
    key_ids: tuple[tuple[str, str], ...] = ()
    key_data: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def endpoint(self) -> str:
        return f"{self.service}.{self.namespace}:{self.port}"

    @property
    def label(self) -> str:
        return {SEAWEEDFS: "SeaweedFS", MINIO: "MinIO"}.get(self.server, self.server)

    @property
    def team_identities(self) -> bool:
        """Whether each team can get an identity of its own, scoped to its prefixes (SeaweedFS's s3.configure)."""
        return self.server == SEAWEEDFS


class _Missing(Exception):
    pass


def object_store(release: str, objects: list[KObj]) -> ObjectStore:
    """The store the render's KFP uses; BadInput naming release, component and what is missing otherwise."""
    try:
        return _derive(objects)
    except _Missing as exc:
        raise BadInput(
            f"release {release}, component pipelines: cannot find KFP's object store: {exc} "
            "(kubeforge points every team's artifact config at it)"
        ) from None


def _env(container: dict[str, object]) -> dict[str, dict[str, object]]:
    return {str(e.get("name")): e for e in container.get("env") or [] if isinstance(e, dict)}  # type: ignore[attr-defined]


def _api_server(objects: list[KObj]) -> tuple[str, dict[str, dict[str, object]]]:
    for o in objects:
        if o.get("kind") != "Deployment" or name_of(o) != API_SERVER:
            continue
        for c in (pod_spec(o) or {}).get("containers") or []:
            env = _env(c)
            if HOST_ENV in env:
                return namespace_of(o) or "default", env
        raise _Missing(f"Deployment {API_SERVER} has no container with {HOST_ENV}")
    raise _Missing(f"no Deployment {API_SERVER} (KFP's API server) in the render")


def _value(env: dict[str, dict[str, object]], name: str, objects: list[KObj], namespace: str) -> str:
    entry = env.get(name)
    if entry is None:
        raise _Missing(f"{API_SERVER} sets no {name}")
    if "value" in entry:
        return str(entry["value"])
    ref = (entry.get("valueFrom") or {}).get("configMapKeyRef") or {}  # type: ignore[attr-defined]
    cm = next(
        (
            o
            for o in objects
            if o.get("kind") == "ConfigMap" and name_of(o) == ref.get("name") and namespace_of(o) == namespace
        ),
        None,
    )
    value = ((cm or {}).get("data") or {}).get(ref.get("key"))
    if value is None:
        raise _Missing(
            f"{API_SERVER}'s {name} reads ConfigMap {ref.get('name')} key {ref.get('key')}, not in the render"
        )
    return str(value)


def _secret_ref(env: dict[str, dict[str, object]], name: str) -> tuple[str, str]:
    ref = ((env.get(name) or {}).get("valueFrom") or {}).get("secretKeyRef") or {}  # type: ignore[attr-defined]
    if not ref.get("name") or not ref.get("key"):
        raise _Missing(f"{API_SERVER} reads no {name} from a Secret")
    return str(ref["name"]), str(ref["key"])


def _server(image: str) -> str:
    repo = image.rsplit("@", 1)[0].rsplit(":", 1)[0] if "/" in image else image.split(":", 1)[0]
    base = repo.rsplit("/", 1)[-1]
    return base if base in (SEAWEEDFS, MINIO) else image


def _derive(objects: list[KObj]) -> ObjectStore:
    namespace, env = _api_server(objects)
    host = _value(env, HOST_ENV, objects, namespace)
    service, _, rest = host.partition(".")
    store_ns = rest.split(".", 1)[0] if rest else namespace
    port_text = _value(env, PORT_ENV, objects, namespace)
    if not port_text.isdigit():
        raise _Missing(f"{API_SERVER}'s {PORT_ENV} is {port_text!r}, not a port number")
    port = int(port_text)
    svc = next(
        (o for o in objects if o.get("kind") == "Service" and name_of(o) == service and namespace_of(o) == store_ns),
        None,
    )
    if svc is None:
        raise _Missing(f"{API_SERVER}'s {HOST_ENV} is {host}, but the render has no Service {store_ns}/{service}")
    spec = svc.get("spec") or {}
    sport = next((p for p in spec.get("ports") or [] if p.get("port") == port), None)
    if sport is None:
        raise _Missing(f"Service {store_ns}/{service} has no port {port}, which {API_SERVER}'s {PORT_ENV} names")
    pods = {str(k): str(v) for k, v in (spec.get("selector") or {}).items()}
    workload = next(
        (
            o
            for o in objects
            if o.get("kind") in ("Deployment", "StatefulSet")
            and namespace_of(o) == store_ns
            and pods
            and selects(pods, pod_template_labels(o))
        ),
        None,
    )
    if workload is None:
        raise _Missing(f"Service {store_ns}/{service} selects no Deployment or StatefulSet in the render")
    target = sport.get("targetPort", port)
    container, pod_port = _container_port(workload, target)
    if container is None:
        raise _Missing(f"{name_of(workload)} has no container port {target} (Service {service} port {port})")
    secret, access_key = _secret_ref(env, ACCESS_ENV)
    secret2, secret_key = _secret_ref(env, SECRET_ENV)
    if secret2 != secret:
        raise _Missing(f"{API_SERVER} reads its S3 keys from two Secrets ({secret}, {secret2})")
    platform = next(
        (o for o in objects if o.get("kind") == "Secret" and name_of(o) == secret and namespace_of(o) == namespace),
        None,
    )
    if platform is None:
        raise _Missing(f"{API_SERVER} reads its S3 keys from Secret {namespace}/{secret}, not in the render")
    data = {str(k): str(v) for k, v in (platform.get("data") or {}).items()}
    data.update(
        (str(k), base64.b64encode(str(v).encode()).decode()) for k, v in (platform.get("stringData") or {}).items()
    )
    return ObjectStore(
        service=service,
        namespace=store_ns,
        port=port,
        pods=pods,
        pod_port=pod_port,
        secret=secret,
        access_key=access_key,
        secret_key=secret_key,
        bucket=_value(env, BUCKET_ENV, objects, namespace),
        server=_server(str(container.get("image", ""))),
        workload=name_of(workload),
        key_ids=tuple(sorted(value_ids(platform).items())),
        key_data=dict(sorted(data.items())),
    )


def _container_port(workload: KObj, target: object) -> tuple[dict[str, object] | None, int]:
    containers = (pod_spec(workload) or {}).get("containers") or []
    for c in containers:
        for p in c.get("ports") or []:
            if target in (p.get("containerPort"), p.get("name")):
                return c, int(p["containerPort"])
    # A numeric targetPort need not be declared by the container (ports there are informational).
    if isinstance(target, int) and containers:
        return containers[0], target
    return None, 0
