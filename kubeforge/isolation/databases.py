"""KFP and the model registry connect to MySQL as their own users, with grants on their own
databases only, instead of `root`. MySQL's image creates MYSQL_USER with every privilege on
MYSQL_DATABASE when it initialises an empty data directory; KFP's two other databases get their
grants from an init file. An existing data directory keeps its users (see README, upgrades)."""

from __future__ import annotations

import base64
import copy

from kubeforge.k8s import KObj, labels_of, meta, name_of, namespace_of, obj, pod_spec
from kubeforge.names import GENERATED_SECRET_ANNOTATION as GENERATED_SECRET

KFP_USER = "kfp"
KFP_DATABASES = ("mlpipeline", "cachedb", "metadb")  # pipelineDb, cacheDb, mlmdDb of pipeline-install-config
KFP_ROOT_SECRET = "mysql-root"
KFP_GRANTS = "mysql-kfp-grants"
REGISTRY_USER = "model-registry"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _ref(secret: str, key: str) -> dict[str, object]:
    return {"valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _kfp_mysql(dep: KObj) -> KObj:
    new = copy.deepcopy(dep)
    spec = pod_spec(new) or {}
    for c in spec.get("containers") or []:
        if c.get("name") != "mysql":
            continue
        env = [
            e for e in c.get("env") or [] if e.get("name") not in ("MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_ROOT_PASSWORD")
        ]
        env += [
            {"name": "MYSQL_ROOT_PASSWORD", **_ref(KFP_ROOT_SECRET, "password")},
            {"name": "MYSQL_USER", **_ref("mysql-secret", "username")},
            {"name": "MYSQL_PASSWORD", **_ref("mysql-secret", "password")},
            {"name": "MYSQL_DATABASE", "value": KFP_DATABASES[0]},
        ]
        c["env"] = env
        c.setdefault("volumeMounts", []).append(
            {"name": "grants", "mountPath": "/docker-entrypoint-initdb.d", "readOnly": True}
        )
    spec.setdefault("volumes", []).append({"name": "grants", "configMap": {"name": KFP_GRANTS}})
    return new


def _kfp_objects(like: KObj) -> list[KObj]:
    ours = {k: v for k, v in labels_of(like).items() if k.startswith(("kubeforge.io/", "app.kubernetes.io/"))}
    root_md = meta(KFP_ROOT_SECRET, "kubeflow", "pipelines", ours)
    root_md["annotations"] = {GENERATED_SECRET: "password=kfp-mysql-root-password"}
    sql = "".join(f"GRANT ALL PRIVILEGES ON `{db}`.* TO '{KFP_USER}'@'%';\n" for db in KFP_DATABASES[1:])
    grants = obj("v1", "ConfigMap", meta(KFP_GRANTS, "kubeflow", "pipelines", ours), data={"10-kfp-grants.sql": sql})
    return [obj("v1", "Secret", root_md, type="Opaque"), grants]


def _with_user(secret: KObj, key: str, user: str) -> KObj:
    new = copy.deepcopy(secret)
    (new.get("stringData") or {}).pop(key, None)  # upstream writes usernames as stringData
    new.setdefault("data", {})[key] = _b64(user)
    return new


def _registry_db(dep: KObj) -> KObj:
    new = copy.deepcopy(dep)
    for c in (pod_spec(new) or {}).get("containers") or []:
        probe = ((c.get("readinessProbe") or {}).get("exec") or {}).get("command")
        if probe:
            probe[-1] = str(probe[-1]).replace("$$MYSQL_ROOT_PASSWORD", "$$MYSQL_PASSWORD")
    return new


def _registry_server(dep: KObj) -> KObj:
    new = copy.deepcopy(dep)
    for c in (pod_spec(new) or {}).get("containers") or []:
        c["args"] = [str(a).replace("$(MYSQL_ROOT_PASSWORD)", "$(MYSQL_PASSWORD)") for a in c.get("args") or []]
    return new


def own_database_users(objects: list[KObj]) -> list[KObj]:
    out: list[KObj] = []
    for o in objects:
        key = (o.get("kind"), namespace_of(o), name_of(o))
        if key == ("Deployment", "kubeflow", "mysql"):
            out += [_kfp_mysql(o), *_kfp_objects(o)]
        elif key == ("Secret", "kubeflow", "mysql-secret"):
            out.append(_with_user(o, "username", KFP_USER))
        elif key == ("Secret", "kubeflow", "model-registry-db-secrets"):
            out.append(_with_user(_with_user(o, "MYSQL_USER_NAME", REGISTRY_USER), "MYSQL_USER", REGISTRY_USER))
        elif key == ("Deployment", "kubeflow", "model-registry-db"):
            out.append(_registry_db(o))
        elif key == ("Deployment", "kubeflow", "model-registry-deployment"):
            out.append(_registry_server(o))
        else:
            out.append(o)
    return out
