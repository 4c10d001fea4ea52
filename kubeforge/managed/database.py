"""KFP, Katib and Model Registry on a managed MySQL (RDS, Cloud SQL, Azure Database for MySQL).

The in-cluster MySQL Deployments, their Services, volumes and mesh policies are dropped. Each
component's ConfigMap gets the database host as a stack value (the stack knows it once the database
exists), and a bootstrap Job per component creates its own database and user with the stack's admin
credentials: RDS has no API for MySQL users and the endpoint is private, so this runs in the cluster.
Each component keeps its own user and generated password (kubeforge.isolation.databases, secrets).
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass

from kubeforge.k8s import KObj, labels_of, meta, name_of, namespace_of, obj, pod_spec
from kubeforge.managed.network import DATABASE_PORT
from kubeforge.names import STACK_VALUE_ANNOTATION, STACK_VALUE_PLACEHOLDER

HOST_VALUE = "database-host"
ADMIN_PASSWORD_VALUE = "database-admin-password"
ADMIN_USER = "kfadmin"  # RDS: 1-16 letters or digits; not a name Azure reserves (admin, root, ...)
BOOTSTRAP_LABEL = {"app.kubernetes.io/name": "kubeforge-db-bootstrap"}
MYSQL_UID = 999  # the mysql image's own user
# Why Katib's key keeps its upstream name: it now holds the password of the `katib` user, not root's.
KATIB_DATABASE_CONFIG = "katib-database"

# The registry's in-cluster MySQL: dropped with the others, or kept when each team has its own registry.
REGISTRY_DROPPED: frozenset[tuple[str, str, str]] = frozenset(
    {
        ("Deployment", "kubeflow", "model-registry-db"),
        ("Service", "kubeflow", "model-registry-db"),
        ("PersistentVolumeClaim", "kubeflow", "metadata-mysql"),
    }
)
DROPPED: frozenset[tuple[str, str, str]] = REGISTRY_DROPPED | {
    ("Deployment", "kubeflow", "mysql"),
    ("Service", "kubeflow", "mysql"),
    ("ServiceAccount", "kubeflow", "mysql"),
    ("PersistentVolumeClaim", "kubeflow", "mysql-pv-claim"),
    ("AuthorizationPolicy", "kubeflow", "mysql"),
    ("DestinationRule", "kubeflow", "ml-pipeline-mysql"),
    ("Deployment", "kubeflow", "katib-mysql"),
    ("Service", "kubeflow", "katib-mysql"),
    ("PersistentVolumeClaim", "kubeflow", "katib-mysql"),
}


@dataclass(frozen=True)
class Consumer:
    """One component on the managed database: its user, databases, and where its settings live."""

    component: str
    mysql: str  # the dropped in-cluster Deployment, whose (locked) image runs the bootstrap Job
    user: str
    databases: tuple[str, ...]
    host_ref: tuple[str, str]  # (ConfigMap, key) holding the host
    password_ref: tuple[str, str]  # (Secret, key) holding the user's generated password


CONSUMERS = (
    Consumer(
        "pipelines",
        "mysql",
        "kfp",
        ("mlpipeline", "cachedb", "metadb"),
        ("pipeline-install-config", "dbHost"),
        ("mysql-secret", "password"),
    ),
    Consumer(
        "katib",
        "katib-mysql",
        "katib",
        ("katib",),
        (KATIB_DATABASE_CONFIG, "host"),
        ("katib-mysql-secrets", "MYSQL_ROOT_PASSWORD"),
    ),
    # Not `metadb`: that is KFP's ML Metadata database on the same server.
    Consumer(
        "model-registry",
        "model-registry-db",
        "model-registry",
        ("model_registry",),
        ("model-registry-db-parameters", "MYSQL_HOST"),
        ("model-registry-db-secrets", "MYSQL_PASSWORD"),
    ),
)
REGISTRY_DATABASE = "model_registry"
# The registry's objects this module drops or rewrites (kept as they are when each team has its own registry).
REGISTRY_OBJECTS = REGISTRY_DROPPED | {
    ("ConfigMap", "kubeflow", "model-registry-db-parameters"),
    ("Deployment", "kubeflow", "model-registry-deployment"),
}


def placeholder(value_id: str) -> str:
    return STACK_VALUE_PLACEHOLDER + value_id


def _stack_values(o: KObj, keys: dict[str, str]) -> KObj:
    """The object with `keys` (key -> value id) as placeholders the stack replaces, and the annotation saying so."""
    new = copy.deepcopy(o)
    if new.get("kind") == "ConfigMap":
        new["data"] = dict(sorted({**(new.get("data") or {}), **{k: placeholder(v) for k, v in keys.items()}}.items()))
    md = new.setdefault("metadata", {})
    annotations = dict(md.get("annotations") or {})
    annotations[STACK_VALUE_ANNOTATION] = ",".join(f"{k}={v}" for k, v in sorted(keys.items()))
    md["annotations"] = annotations
    return new


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _env(c: KObj, values: dict[str, dict[str, object]]) -> None:
    env = [e for e in c.get("env") or [] if e.get("name") not in values]
    c["env"] = env + [{"name": k, **v} for k, v in values.items()]


def _katib_manager(dep: KObj) -> KObj:
    new = copy.deepcopy(dep)
    for c in (pod_spec(new) or {}).get("containers") or []:
        # katib-db-manager's settings (pkg/db/v1beta1/common): user, host, port and database by env.
        _env(
            c,
            {
                "DB_USER": {"value": "katib"},
                "KATIB_MYSQL_DB_HOST": {
                    "valueFrom": {"configMapKeyRef": {"name": KATIB_DATABASE_CONFIG, "key": "host"}}
                },
                "KATIB_MYSQL_DB_PORT": {"value": str(DATABASE_PORT)},
                "KATIB_MYSQL_DB_DATABASE": {"value": "katib"},
            },
        )
    return new


def _registry_server(dep: KObj) -> KObj:
    new = copy.deepcopy(dep)
    for c in (pod_spec(new) or {}).get("containers") or []:
        # TLS when the server offers it (all three do); the driver has no CA for RDS or Cloud SQL here.
        c["args"] = [
            str(a)
            .replace("tcp(model-registry-db:", "tcp($(MYSQL_HOST):")
            .replace("?charset=utf8mb4", "?charset=utf8mb4&tls=preferred")
            for a in c.get("args") or []
        ]
    return new


def _sql(consumer: Consumer) -> str:
    lines = []
    for db in consumer.databases:
        lines.append(f"CREATE DATABASE IF NOT EXISTS \\`{db}\\`;")
    lines += [
        f"CREATE USER IF NOT EXISTS '{consumer.user}'@'%' IDENTIFIED BY '$USER_PASSWORD';",
        f"ALTER USER '{consumer.user}'@'%' IDENTIFIED BY '$USER_PASSWORD';",
    ]
    lines += [f"GRANT ALL PRIVILEGES ON \\`{db}\\`.* TO '{consumer.user}'@'%';" for db in consumer.databases]
    return "\n".join(lines)


def bootstrap_objects(consumer: Consumer, image: str, like: KObj) -> list[KObj]:
    """The admin Secret (stack-filled) and the Job that creates this component's databases and user."""
    ours = {k: v for k, v in labels_of(like).items() if k.startswith(("kubeforge.io/", "app.kubernetes.io/"))}
    admin = f"{consumer.component}-db-admin"
    secret_md = meta(admin, "kubeflow", consumer.component, ours)
    secret = _stack_values(
        obj("v1", "Secret", secret_md, type="Opaque", data={"username": _b64(ADMIN_USER)}),
        {"password": ADMIN_PASSWORD_VALUE},
    )
    # Passwords are alphanumeric (pulumi-random, special=False): safe inside the SQL literals.
    script = f'mysql --host="$MYSQL_HOST" --port={DATABASE_PORT} --user="$ADMIN_USER" --ssl-mode=PREFERRED <<SQL\n{_sql(consumer)}\nSQL\n'
    host_cm, host_key = consumer.host_ref
    pw_secret, pw_key = consumer.password_ref
    env = [
        {"name": "MYSQL_HOST", "valueFrom": {"configMapKeyRef": {"name": host_cm, "key": host_key}}},
        {"name": "ADMIN_USER", "valueFrom": {"secretKeyRef": {"name": admin, "key": "username"}}},
        {"name": "MYSQL_PWD", "valueFrom": {"secretKeyRef": {"name": admin, "key": "password"}}},
        {"name": "USER_PASSWORD", "valueFrom": {"secretKeyRef": {"name": pw_secret, "key": pw_key}}},
    ]
    container = {
        "name": "bootstrap",
        "image": image,
        "command": ["sh", "-ec", script],
        "env": env,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": MYSQL_UID,
            "runAsGroup": MYSQL_UID,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # the shell writes here-documents to /tmp
    }
    pod_labels = {**BOOTSTRAP_LABEL, "kubeforge.io/database-user": consumer.user}
    pod = {
        "restartPolicy": "OnFailure",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}}],
    }
    job = obj(
        "batch/v1",
        "Job",
        meta(f"{consumer.component}-db-bootstrap", "kubeflow", consumer.component, {**ours, **BOOTSTRAP_LABEL}),
        spec={
            "backoffLimit": 10,
            "template": {
                # A sidecar would keep the Job from completing; the database is outside the mesh anyway.
                "metadata": {"labels": pod_labels, "annotations": {"sidecar.istio.io/inject": "false"}},
                "spec": pod,
            },
        },
    )
    return [secret, job]


def _consumer_of(mysql_deployment: str) -> Consumer | None:
    return next((c for c in CONSUMERS if c.mysql == mysql_deployment), None)


def use_managed_database(objects: list[KObj], *, registry: bool = True) -> list[KObj]:
    """`registry`: whether the model registry moves to the managed database too (False: it keeps its
    in-cluster MySQL, which isolation copies into each team with the rest of the registry's server side)."""
    out: list[KObj] = []
    for o in objects:
        kind, ns, name = o.get("kind"), namespace_of(o) or "", name_of(o)
        if not registry and (kind, ns, name) in REGISTRY_OBJECTS:
            out.append(o)
            continue
        if (kind, ns, name) in DROPPED:
            consumer = _consumer_of(name) if kind == "Deployment" else None
            if consumer is not None:
                image = str(((pod_spec(o) or {}).get("containers") or [{}])[0].get("image"))
                out += bootstrap_objects(consumer, image, o)
            continue
        if (kind, ns, name) == ("ConfigMap", "kubeflow", "pipeline-install-config"):
            out.append(_stack_values(o, {"dbHost": HOST_VALUE, "mysqlHost": HOST_VALUE}))
        elif (kind, ns, name) == ("ConfigMap", "kubeflow", "model-registry-db-parameters"):
            new = _stack_values(o, {"MYSQL_HOST": HOST_VALUE})
            new["data"]["MYSQL_DATABASE"] = REGISTRY_DATABASE
            out.append(new)
        elif (kind, ns, name) == ("Deployment", "kubeflow", "katib-db-manager"):
            out.append(_katib_manager(o))
            ours = {k: v for k, v in labels_of(o).items() if k.startswith(("kubeforge.io/", "app.kubernetes.io/"))}
            cm = obj("v1", "ConfigMap", meta(KATIB_DATABASE_CONFIG, "kubeflow", "katib", ours), data={})
            out.append(_stack_values(cm, {"host": HOST_VALUE}))
        elif (kind, ns, name) == ("Deployment", "kubeflow", "model-registry-deployment"):
            out.append(_registry_server(o))
        else:
            out.append(o)
    return out
