"""Releases kubeforge has never seen, through the CLI as a person adding one would run it: KFP's object
store switched to MinIO, renamed, or not to be found; KFP removed; a kustomization with `delimiter: =`.
Each is a copy of the mirror's v1.11.0 tree edited here (synthetic.py), locked, fetched and rendered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import Run

from .synthetic import (
    CORE_AND_KFP,
    PIPELINES_ENV,
    TEAM,
    Synthetic,
    artifact_endpoint,
    lock_and_fetch,
    make_release,
    objects_in,
    one,
    render,
    replace_in,
)

SEAWEEDFS_RESOURCE = "- ../../third-party/seaweedfs/istio\n"
MINIO_RESOURCES = "- ../../third-party/minio/base\n- ../../third-party/minio/options/istio\n"
SEAWEEDFS_S3_SERVICE = "applications/pipeline/upstream/third-party/seaweedfs/base/seaweedfs/minio-service.yaml"
API_SERVER = "applications/pipeline/upstream/base/pipeline/ml-pipeline-apiserver-deployment.yaml"
ARGO_CONFIG = "applications/pipeline/upstream/third-party/argo/base/workflow-controller-configmap-patch.yaml"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module: the unchanged components are built once, by digest."""
    return tmp_path_factory.mktemp("synthetic-cache")


def _switch_to_minio(tree: Path) -> None:
    # KFP up to 2.4 shipped MinIO; v1.11.0 still carries it under third-party/minio.
    replace_in(tree / PIPELINES_ENV, SEAWEEDFS_RESOURCE, MINIO_RESOURCES)


def _rename_store(tree: Path) -> None:
    """The S3 Service renamed everywhere KFP names it (API server, Argo), as a release that renames it would."""
    replace_in(tree / SEAWEEDFS_S3_SERVICE, "name: minio-service", "name: s3-artifacts")
    replace_in(tree / API_SERVER, '"minio-service.kubeflow"', '"s3-artifacts.kubeflow"')
    replace_in(tree / ARGO_CONFIG, "minio-service.$(kfp-namespace):9000", "s3-artifacts.$(kfp-namespace):9000")


def _lose_store(tree: Path) -> None:
    """The Service renamed but not the API server's host: KFP names a store the render does not have."""
    replace_in(tree / SEAWEEDFS_S3_SERVICE, "name: minio-service", "name: s3-artifacts")


def _made(tmp_path: Path, upstream: Path, kubeforge: Run, cache: Path, key: str, **kw: object) -> Synthetic:
    rel = make_release(tmp_path, upstream, key, **kw)  # type: ignore[arg-type]
    lock_and_fetch(kubeforge, rel, cache)
    return rel


def test_minio_release_points_teams_at_minio(tmp_path: Path, upstream: Path, kubeforge: Run, cache: Path) -> None:
    rel = _made(tmp_path, upstream, kubeforge, cache, "v1.11.0-minio", edit_tree=_switch_to_minio)
    out = tmp_path / "out"
    result = render(kubeforge, rel, cache, out)
    assert result.rc == 0, result.stderr
    objects = objects_in(out)
    assert one(objects, "Deployment", "kubeflow", "minio")  # the store really is MinIO
    assert artifact_endpoint(objects) == "minio-service.kubeflow:9000"
    proxy = one(objects, "Deployment", TEAM, "ml-pipeline-ui-artifact")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in proxy["env"]}
    assert (env["MINIO_HOST"], env["MINIO_NAMESPACE"], env["MINIO_PORT"]) == ("minio-service", "kubeflow", "9000")
    egress = one(objects, "NetworkPolicy", TEAM, "allow-platform-egress")["spec"]["egress"]
    store_rules = [r for r in egress if r["to"][0].get("podSelector", {}).get("matchLabels") == {"app": "minio"}]
    assert [r["ports"] for r in store_rules] == [[{"protocol": "TCP", "port": 9000}]]
    # MinIO gets no per-team identity: the team's key is the platform's (generated, same value ids), and
    # the render says so; nothing of SeaweedFS is rendered.
    secret = one(objects, "Secret", TEAM, "mlpipeline-minio-artifact")
    platform = one(objects, "Secret", "kubeflow", "mlpipeline-minio-artifact")
    ann = "kubeforge.io/generated-secret"
    assert secret["metadata"]["annotations"][ann] == platform["metadata"]["annotations"][ann]
    assert secret["data"] == platform["data"]
    assert not [o for o in objects if "seaweedfs" in o["metadata"]["name"]]
    notes = json.loads((out / "plan.json").read_text())["notes"]
    assert (
        "KFP's object store is MinIO (minio-service.kubeflow:9000), which kubeforge gives no per-team identity: "
        "teams share the platform's S3 key, so a team can read and write other teams' artifacts"
    ) in notes


def test_renamed_store_is_followed(tmp_path: Path, upstream: Path, kubeforge: Run, cache: Path) -> None:
    rel = _made(tmp_path, upstream, kubeforge, cache, "v1.11.0-renamed", edit_tree=_rename_store)
    out = tmp_path / "out"
    result = render(kubeforge, rel, cache, out)
    assert result.rc == 0, result.stderr
    objects = objects_in(out)
    assert artifact_endpoint(objects) == "s3-artifacts.kubeflow:9000"
    proxy = one(objects, "Deployment", TEAM, "ml-pipeline-ui-artifact")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "MINIO_HOST", "value": "s3-artifacts"} in proxy["env"]
    # Still SeaweedFS: each team keeps an identity of its own.
    assert one(objects, "Secret", "kubeflow", "seaweedfs-team-identities")
    team_key = one(objects, "Secret", TEAM, "mlpipeline-minio-artifact")["metadata"]["annotations"]
    assert team_key["kubeforge.io/generated-secret"] == (
        f"accesskey=kfp-s3-access-key.{TEAM},secretkey=kfp-s3-secret-key.{TEAM}"
    )


def test_check_passes_on_a_release_with_a_renamed_store_and_fewer_components(
    tmp_path: Path, upstream: Path, kubeforge: Run, cache: Path
) -> None:
    """`kubeforge check` on the renamed store's release, which also lacks Knative, KServe, Katib and the rest:
    what the release lacks is off for every layer and check, not only for the build."""
    rel = _made(tmp_path, upstream, kubeforge, cache, "v1.11.0-renamed", edit_tree=_rename_store)
    overrides = rel.home / "release.yaml"
    overrides.write_text(f"release: {rel.key}\n")
    result = kubeforge("check", "-f", overrides, home=rel.home, env=rel.env(cache))
    assert result.rc == 0, result.stdout[-3000:]
    assert "passed" in result.stdout


def test_a_store_kfp_names_but_the_render_lacks_is_refused(
    tmp_path: Path, upstream: Path, kubeforge: Run, cache: Path
) -> None:
    rel = _made(tmp_path, upstream, kubeforge, cache, "v1.11.0-nostore", edit_tree=_lose_store)
    out = tmp_path / "out"
    result = render(kubeforge, rel, cache, out)
    assert result.rc == 2
    assert result.error_line == (
        "error: release v1.11.0-nostore, component pipelines: cannot find KFP's object store: ml-pipeline's "
        "OBJECTSTORECONFIG_HOST is minio-service.kubeflow, but the render has no Service kubeflow/minio-service "
        "(kubeforge points every team's artifact config at it)"
    )
    assert not out.exists()


def test_a_release_without_kfp_renders_teams_without_it(
    tmp_path: Path, upstream: Path, kubeforge: Run, cache: Path
) -> None:
    core = tuple(c for c in CORE_AND_KFP if c != "pipelines")
    rel = _made(tmp_path, upstream, kubeforge, cache, "v1.11.0-nokfp", components=core)
    out = tmp_path / "out"
    result = render(kubeforge, rel, cache, out)
    assert result.rc == 0, result.stderr
    objects = objects_in(out)
    assert one(objects, "Namespace", None, TEAM)  # type: ignore[arg-type]
    assert not [o for o in objects if o["metadata"].get("namespace") == TEAM and "pipeline" in o["metadata"]["name"]]
    assert "component pipelines is not in release v1.11.0-nokfp: off" in (out / "plan.json").read_text()


DELIMITER = """
configMapGenerator:
- name: kubeforge-synthetic
  literals:
  - ISSUER=issuer=https://synthetic.example/dex
  options:
    disableNameSuffixHash: true
replacements:
- source:
    kind: ConfigMap
    name: kubeforge-synthetic
    fieldPath: data.ISSUER
    options:
      delimiter: =
      index: 1
  targets:
  - select:
      kind: Deployment
      name: dex
    fieldPaths:
    - metadata.annotations.synthetic-issuer
    options:
      create: true
"""


def test_a_kustomization_with_delimiter_equals_locks_and_renders(
    tmp_path: Path, upstream: Path, kubeforge: Run, cache: Path
) -> None:
    def edit(tree: Path) -> None:
        path = tree / "common" / "dex" / "base" / "kustomization.yaml"
        path.write_text(path.read_text() + DELIMITER)

    rel = _made(tmp_path, upstream, kubeforge, cache, "v1.11.0-delimiter", edit_tree=edit)
    out = tmp_path / "out"
    result = render(kubeforge, rel, cache, out)
    assert result.rc == 0, result.stderr
    dex = one(objects_in(out), "Deployment", "auth", "dex")
    assert dex["metadata"]["annotations"]["synthetic-issuer"] == "https://synthetic.example/dex"
