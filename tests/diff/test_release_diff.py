"""`kubeforge diff` on the real releases (v1.11.0 -> 26.03, the kind profile), a saved render folder, the
upgrade paths of manifests/*/upgrade.yaml, and its bad input (one line, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness import REPO, Run

from kubeforge.diff import Report, diff_sides, side_from_folder, side_from_render
from kubeforge.diff.sides import PlaceholderSecrets
from kubeforge.errors import BadInput
from kubeforge.release.upgrade import upgrade_path
from kubeforge.render import Render, render_platform
from kubeforge.render.output import write_render
from kubeforge.spec import load_spec


@pytest.fixture(scope="module")
def renders(source_cache: Path, state_dir: Path) -> dict[str, Render]:
    return {
        release: render_platform(
            load_spec("kind", extra={"release": release}), cache=source_cache, secrets=PlaceholderSecrets()
        )
        for release in ("v1.11.0", "26.03")
    }


@pytest.fixture(scope="module")
def report(renders: dict[str, Render]) -> Report:
    through = {c: [(t.release, t.version) for t in s] for c, s in upgrade_path("v1.11.0", "26.03").through.items()}
    return diff_sides(side_from_render(renders["v1.11.0"], "old"), side_from_render(renders["26.03"], "new"), through)


@pytest.mark.slow
def test_v1_11_0_to_26_03_on_kind(report: Report) -> None:
    by = {c.name: c for c in report.components}
    # Knative 1.16 -> 1.21 skips four minors and nothing pins 1.17-1.20: refused, with the reason.
    assert [(d.kind, d.component) for d in report.blocking] == [("step-limited", "knative")]
    assert "1.17, 1.18, 1.19, 1.20" in report.blocking[0].why
    assert (by["istio"].old_version, by["istio"].new_version) == ("1.28.0", "1.29.0")  # one minor: allowed
    assert "Service/kubeflow/minio-service" in by["pipelines"].removed
    assert ("ghcr.io/kubeflow/kfp-api-server:2.15.0", "ghcr.io/kubeflow/kfp-api-server:2.16.0") in by[
        "pipelines"
    ].images
    assert "CustomResourceDefinition/llminferenceservices.serving.kserve.io" in by["kserve"].added
    assert not [d for d in report.dangers if d.kind in ("crd-version-unserved", "immutable-field")]


@pytest.mark.slow
def test_a_saved_render_folder_is_the_same_side(renders: dict[str, Render], report: Report, tmp_path: Path) -> None:
    write_render(renders["v1.11.0"], tmp_path / "kind")
    saved = side_from_folder(tmp_path / "kind", "--from-render")
    memory = side_from_render(renders["v1.11.0"], "old")
    assert (saved.release, saved.profile, saved.versions) == (memory.release, memory.profile, memory.versions)
    assert saved.objects == memory.objects
    again = diff_sides(saved, report.new, {})
    assert again.dangers == report.dangers


@pytest.mark.slow
def test_cli_exits_1_on_blocking_and_prints_json(kubeforge: Run, source_cache: Path) -> None:
    result = kubeforge(
        "diff", "--profile", "kind", "--from-release", "v1.11.0", "--to-release", "26.03", "--output", "json",
        env={"KUBEFORGE_CACHE": str(source_cache)},
    )  # fmt: skip
    assert result.rc == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["blocking"] == 1 and data["dangers"][0]["severity"] == "blocking"
    assert [m["id"] for m in data["migrations"]][:1] == ["artifact-store-endpoint"]


def test_no_declared_path_is_refused_naming_both() -> None:
    with pytest.raises(BadInput) as exc:
        upgrade_path("26.03", "v1.11.0")
    assert "from release '26.03' to release 'v1.11.0'" in str(exc.value)
    assert upgrade_path("v1.11.0", "26.03").steps, "26.03 declares its path from v1.11.0"


def test_upgrade_file_schema_refuses_a_step_without_reason(tmp_path: Path) -> None:
    from kubeforge.release.upgrade import load_upgrade_file

    (tmp_path / "26.03").mkdir()
    (tmp_path / "26.03" / "release.yaml").write_text((REPO / "manifests/26.03/release.yaml").read_text())
    (tmp_path / "26.03" / "upgrade.yaml").write_text(
        'release: "26.03"\nfrom:\n  v1.11.0:\n    steps:\n      - {id: x, phase: before, action: note, source: s}\n'
    )
    with pytest.raises(BadInput, match=r"upgrade.yaml: from.v1.11.0.steps.0.why: Field required"):
        load_upgrade_file("26.03", tmp_path)


BAD = {
    "unknown release": (
        ["--profile", "kind", "--from-release", "9.9", "--to-release", "26.03"],
        "--from-release: release '9.9' is not defined (known: 26.03, v1.11.0)",
    ),
    "same release": (
        ["--profile", "kind", "--from-release", "26.03", "--to-release", "26.03"],
        "--to-release: release '26.03' on both sides: nothing to upgrade",
    ),
    "no path": (
        ["--profile", "kind", "--from-release", "26.03", "--to-release", "v1.11.0"],
        "release: no upgrade path from release '26.03' to release 'v1.11.0': manifests/v1.11.0/upgrade.yaml "
        "declares upgrades from: none",
    ),
    "overrides without a profile": (
        ["--from-spec", "profiles/kind.yaml", "--to-spec", "profiles/kind.yaml", "-f", "profiles/kind.yaml"],
        "--overrides: it is merged over the profile: give --profile",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input(kubeforge: Run, case: str) -> None:
    args, message = BAD[case]
    result = kubeforge("diff", *args)
    assert (result.rc, result.stdout, result.error_line) == (2, "", f"error: {message}")


def test_a_folder_that_is_not_a_render(kubeforge: Run, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    result = kubeforge("diff", "--from-render", folder, "--profile", "kind")
    assert result.rc == 2 and result.stdout == ""
    assert result.error_line.startswith(f"error: --from-render: {folder} is not a kubeforge render folder")
    assert (folder / "notes.txt").read_text() == "mine\n", "nothing touched"
