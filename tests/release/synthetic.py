"""Releases kubeforge has never seen, made in a test from the mirror's files: a copy of v1.11.0's
kubeflow/manifests tree (edited by the test) under a tag of its own, a release.yaml with the core
components and KFP, and the same steps a person adding a release takes: `kubeforge lock`, `fetch`, `render`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from harness import REPO, Result, Run

from kubeforge.k8s import KObj

BASE = "v1.11.0"
CORE_AND_KFP = (
    "cert-manager",
    "istio",
    "dex",
    "oauth2-proxy",
    "kubeflow-base",
    "profiles",
    "central-dashboard",
    "poddefaults",
    "pipelines",
)
PIPELINES_ENV = "applications/pipeline/upstream/env/platform-agnostic-multi-user/kustomization.yaml"
TEAM = "kubeflow-user-example-com"  # the kind profile's team


@dataclass(frozen=True)
class Synthetic:
    key: str
    home: Path
    mirror: Path
    tree: Path  # the edited copy of kubeflow/manifests

    def env(self, cache: Path) -> dict[str, str]:
        return {"KUBEFORGE_MIRROR": str(self.mirror), "KUBEFORGE_CACHE": str(cache)}


def make_release(
    root: Path,
    upstream: Path,
    key: str,
    *,
    edit_tree: Callable[[Path], None] = lambda _tree: None,
    components: tuple[str, ...] = CORE_AND_KFP,
) -> Synthetic:
    """A release `key` whose manifests source is an edited copy of v1.11.0's; other sources are the mirror's."""
    mirror = root / "mirror"
    tree = mirror / "kubeflow" / "manifests" / key
    src = upstream / "kubeflow" / "manifests" / BASE
    for part in ("common", "applications"):
        shutil.copytree(src / part, tree / part)
    edit_tree(tree)
    for owner_repo in (
        "argoproj/argo-workflows",
        "kubernetes-sigs/jobset",
        "kubernetes-sigs/lws",
        "projectcalico/calico",
    ):
        for tag in (upstream / owner_repo).iterdir():
            link = mirror / owner_repo / tag.name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(tag, target_is_directory=True)
    home = root / "home"
    shutil.copytree(REPO / "profiles", home / "profiles")
    data = yaml.safe_load((REPO / "manifests" / BASE / "release.yaml").read_text())
    data["release"] = key
    data["upstream"] = f"synthetic, from kubeflow/manifests {BASE}"
    data["sources"]["manifests"]["tag"] = key
    data["components"] = {n: c for n, c in data["components"].items() if n in components}
    (home / "manifests" / key).mkdir(parents=True)
    for real in ("26.03", BASE):  # the shipped releases stay known: a component only they have is off, not unknown
        (home / "manifests" / real).symlink_to(REPO / "manifests" / real, target_is_directory=True)
    (home / "manifests" / key / "release.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return Synthetic(key, home, mirror, tree)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new))


def lock_and_fetch(kubeforge: Run, rel: Synthetic, cache: Path) -> None:
    for step in ("lock", "fetch"):
        result = kubeforge(step, "--release", rel.key, home=rel.home, env=rel.env(cache))
        assert result.rc == 0, f"kubeforge {step}: {result.stderr}"


def render(kubeforge: Run, rel: Synthetic, cache: Path, out: Path) -> Result:
    overrides = rel.home / "release.yaml"
    overrides.write_text(f"release: {rel.key}\n")
    return kubeforge(
        "render", "--profile", "kind", "-f", overrides, "--out", out, "-o", "json", home=rel.home, env=rel.env(cache)
    )


def objects_in(out: Path) -> list[KObj]:
    return [o for f in sorted(out.glob("*.yaml")) for o in yaml.safe_load_all(f.read_text()) if o]


def one(objects: list[KObj], kind: str, namespace: str, name: str) -> KObj:
    return next(
        o
        for o in objects
        if o["kind"] == kind and o["metadata"]["name"] == name and o["metadata"].get("namespace") == namespace
    )


def artifact_endpoint(objects: list[KObj]) -> str:
    repo = one(objects, "ConfigMap", TEAM, "artifact-repositories")["data"]["default-namespaced"]
    return str(json.loads(repo)["s3"]["endpoint"])
