"""sources.plain_files: files locked as they are (the cni role's calico.yaml), refused when missing or outside include."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeforge.errors import BadInput
from kubeforge.release.digest import file_sha256
from kubeforge.release.lockgen import generate
from kubeforge.release.model import ReleaseDefinition


def _definition(plain: list[str]) -> ReleaseDefinition:
    return ReleaseDefinition.model_validate(
        {
            "release": "t",
            "upstream": "t",
            "kubernetes": {"min": "1.34", "tested": "v1.34.0"},
            "sources": {
                "calico": {
                    "repo": "o/r",
                    "tag": "v1",
                    "commit": "0" * 40,
                    "include": ["manifests"],
                    "plain_files": plain,
                }
            },
            "components": {},
        }
    )


def test_plain_file_is_locked_with_its_sha256(tmp_path: Path) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "calico.yaml").write_text("kind: List\n")
    lock = generate(_definition(["manifests/calico.yaml"]), b"x", {"calico": tmp_path})
    assert lock.sources["calico"].files == {
        "manifests/calico.yaml": file_sha256(tmp_path / "manifests" / "calico.yaml")
    }


def test_missing_plain_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"calico:manifests/none\.yaml does not exist"):
        generate(_definition(["manifests/none.yaml"]), b"x", {"calico": tmp_path})


def test_plain_file_outside_include_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text("a: 1\n")
    with pytest.raises(BadInput, match=r"outside the source's include list"):
        generate(_definition(["other.yaml"]), b"x", {"calico": tmp_path})
