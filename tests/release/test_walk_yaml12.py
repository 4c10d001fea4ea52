"""The walker reads kustomizations as kustomize does (YAML 1.2): `delimiter: =` is valid; malformed ones say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeforge.errors import BadInput
from kubeforge.release.walk import Walker, load_kustomization

REPLACEMENT = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deployment.yaml]
replacements:
- source: {kind: ConfigMap, name: env, fieldPath: data.IMAGE}
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.template.spec.containers.0.image]
    options:
      delimiter: =
      index: 1
labels:
- pairs: {enabled: yes, mode: on}
"""


def test_delimiter_equals_and_yes_are_strings(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text(REPLACEMENT)
    doc = load_kustomization(path, "synthetic:kustomization.yaml")
    assert doc["replacements"][0]["targets"][0]["options"] == {"delimiter": "=", "index": 1}
    assert doc["labels"][0]["pairs"] == {"enabled": "yes", "mode": "on"}


def test_malformed_says_why(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text("resources:\n  - a.yaml\n - b.yaml\n")
    with pytest.raises(BadInput, match=r"^synthetic:kustomization.yaml: malformed YAML \(line 3\): .+"):
        load_kustomization(path, "synthetic:kustomization.yaml")


def test_the_walker_locks_a_kustomization_with_delimiter_equals(tmp_path: Path, upstream: Path) -> None:
    # A synthetic source: a real upstream Deployment with a replacement using `delimiter: =` beside it.
    dex = upstream / "kubeflow" / "manifests" / "26.03" / "common" / "dex" / "base" / "deployment.yaml"
    (tmp_path / "deployment.yaml").write_bytes(dex.read_bytes())
    (tmp_path / "kustomization.yaml").write_text(REPLACEMENT)
    walker = Walker(roots={"synthetic": tmp_path}, remotes=[], edits=[])
    walker.walk("synthetic", ".")
    assert sorted(walker.files) == [("synthetic", "deployment.yaml"), ("synthetic", "kustomization.yaml")]
