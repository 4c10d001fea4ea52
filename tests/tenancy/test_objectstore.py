"""KFP's object store is read from the render: what each shipped release really configures, and one line
naming what is missing when a render's KFP points at nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import find

from kubeforge.errors import BadInput
from kubeforge.k8s import KObj, name_of
from kubeforge.render import Render, render_platform
from kubeforge.spec import load_spec
from kubeforge.tenancy.objectstore import ObjectStore, object_store


def test_26_03_stores_in_seaweedfs_behind_its_own_service(kind_render: Render) -> None:
    store = object_store("26.03", kind_render.upstream_objects())
    assert (store.service, store.namespace, store.port, store.pod_port) == ("seaweedfs", "kubeflow", 9000, 8333)
    assert store.pods == {"app": "seaweedfs", "application-crd-id": "kubeflow-pipelines"}
    assert (store.secret, store.access_key, store.secret_key, store.bucket) == (
        "mlpipeline-minio-artifact",
        "accesskey",
        "secretkey",
        "mlpipeline",
    )
    assert (store.server, store.workload, store.team_identities) == ("seaweedfs", "seaweedfs", True)
    assert store.key_ids == (("accesskey", "kfp-s3-access-key"), ("secretkey", "kfp-s3-secret-key"))


def test_v1_11_0_calls_seaweedfs_through_minio_service(source_cache: Path, tmp_path: Path) -> None:
    """v1.11.0's KFP calls `minio-service:9000`; its `seaweedfs` Service has no port 9000, where kubeforge
    used to point every team."""
    o = tmp_path / "o.yaml"
    o.write_text("release: v1.11.0\n")
    render = render_platform(load_spec("kind", [o]), cache=source_cache, secrets=None)
    store = object_store("v1.11.0", render.upstream_objects())
    assert (store.service, store.port, store.pod_port, store.server) == ("minio-service", 9000, 8333, "seaweedfs")
    seaweedfs = find(render.objects, "Service", "seaweedfs")
    assert 9000 not in {p["port"] for p in seaweedfs["spec"]["ports"]}
    team = render.spec.teams[0].name
    repo = next(
        o for o in render.objects if name_of(o) == "artifact-repositories" and o["metadata"]["namespace"] == team
    )
    assert '"endpoint": "minio-service.kubeflow:9000"' in repo["data"]["default-namespaced"]


def _api_env(objects: list[KObj]) -> list[dict[str, object]]:
    env: list[dict[str, object]] = find(objects, "Deployment", "ml-pipeline")["spec"]["template"]["spec"]["containers"][
        0
    ]["env"]
    return env


def _drop(kind: str, name: str) -> Callable[[list[KObj]], None]:
    def run(objects: list[KObj]) -> None:
        objects.remove(find(objects, kind, name))

    return run


def _set_env(name: str, value: str) -> Callable[[list[KObj]], None]:
    def run(objects: list[KObj]) -> None:
        entry = next(e for e in _api_env(objects) if e["name"] == name)
        entry.clear()
        entry.update(name=name, value=value)

    return run


def _drop_env(name: str) -> Callable[[list[KObj]], None]:
    def run(objects: list[KObj]) -> None:
        env = _api_env(objects)
        env.remove(next(e for e in env if e["name"] == name))

    return run


PREFIX = "release 26.03, component pipelines: cannot find KFP's object store: "
CASES = {
    "no API server": (_drop("Deployment", "ml-pipeline"), "no Deployment ml-pipeline (KFP's API server) in the render"),
    "no Service": (
        _drop("Service", "seaweedfs"),
        "ml-pipeline's OBJECTSTORECONFIG_HOST is seaweedfs.kubeflow, but the render has no Service kubeflow/seaweedfs",
    ),
    "no such port": (
        _set_env("OBJECTSTORECONFIG_PORT", "9100"),
        "Service kubeflow/seaweedfs has no port 9100, which ml-pipeline's OBJECTSTORECONFIG_PORT names",
    ),
    "port not a number": (
        _set_env("OBJECTSTORECONFIG_PORT", "s3"),
        "ml-pipeline's OBJECTSTORECONFIG_PORT is 's3', not a port number",
    ),
    "no pods": (
        _drop("Deployment", "seaweedfs"),
        "Service kubeflow/seaweedfs selects no Deployment or StatefulSet in the render",
    ),
    "no key from a Secret": (
        _drop_env("OBJECTSTORECONFIG_ACCESSKEY"),
        "ml-pipeline reads no OBJECTSTORECONFIG_ACCESSKEY from a Secret",
    ),
    "no Secret": (
        _drop("Secret", "mlpipeline-minio-artifact"),
        "ml-pipeline reads its S3 keys from Secret kubeflow/mlpipeline-minio-artifact, not in the render",
    ),
    "no bucket ConfigMap": (
        _drop("ConfigMap", "pipeline-install-config"),
        "ml-pipeline's OBJECTSTORECONFIG_BUCKETNAME reads ConfigMap pipeline-install-config key bucketName, "
        "not in the render",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_what_is_missing_is_named(case: str, kind_render: Render) -> None:
    objects = copy.deepcopy(kind_render.upstream_objects())
    break_it, message = CASES[case]
    break_it(objects)
    with pytest.raises(BadInput) as caught:
        object_store("26.03", objects)
    assert str(caught.value) == PREFIX + message + " (kubeforge points every team's artifact config at it)"


def test_a_store_is_a_value(kind_render: Render) -> None:
    first, second = (object_store("26.03", kind_render.upstream_objects()) for _ in range(2))
    assert isinstance(first, ObjectStore) and first == second
