"""The kustomization walker on small synthetic trees: every field kind that names a file, remotes, edits, refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeforge.errors import BadInput
from kubeforge.release.digest import file_sha256, tree_sha256
from kubeforge.release.lockgen import generate
from kubeforge.release.model import Edit, ReleaseDefinition, Remote
from kubeforge.release.walk import Walker

KUST = "kustomization.yaml"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"


def tree(root: Path, files: dict[str, Any]) -> Path:
    """Write files under root: dicts as YAML, strings as they are."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8")
    return root


def walk(
    roots: dict[str, Path], path: str = "app", *, remotes: list[Remote] | None = None, edits: list[Edit] | None = None
) -> set[tuple[str, str]]:
    return Walker(roots=roots, remotes=remotes or [], edits=edits or []).walk("a", path)


# Each case: the kustomization at a:app, the other files of the tree, and the files the walk must record
# besides app/kustomization.yaml.
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], set[str]]] = {
    "resources": (
        {"resources": ["cm.yaml", "sub", "../base"]},
        {"app/cm.yaml": CM, f"app/sub/{KUST}": {"resources": ["s.yaml"]}, "app/sub/s.yaml": CM, f"base/{KUST}": {}},
        {"app/cm.yaml", f"app/sub/{KUST}", "app/sub/s.yaml", f"base/{KUST}"},
    ),
    "components": (
        {"components": ["../comp"]},
        {f"comp/{KUST}": {"kind": "Component", "patches": [{"path": "p.yaml"}]}, "comp/p.yaml": CM},
        {f"comp/{KUST}", "comp/p.yaml"},
    ),
    "bases": (
        {"bases": ["../legacy"]},
        {f"legacy/{KUST}": {"resources": ["l.yaml"]}, "legacy/l.yaml": CM},
        {f"legacy/{KUST}", "legacy/l.yaml"},
    ),
    "patches with path": (
        {"patches": [{"path": "p.yaml"}, {"patch": "- op: remove\n  path: /x\n", "target": {"kind": "Deployment"}}]},
        {"app/p.yaml": CM},
        {"app/p.yaml"},
    ),
    "patchesStrategicMerge": (
        {"patchesStrategicMerge": ["psm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inline\n"]},
        {"app/psm.yaml": CM},
        {"app/psm.yaml"},
    ),
    "patchesJson6902": (
        {"patchesJson6902": [{"target": {"kind": "Service", "name": "s"}, "path": "ops/ops.yaml"}]},
        {"app/ops/ops.yaml": "- op: add\n  path: /x\n  value: 1\n"},
        {"app/ops/ops.yaml"},
    ),
    "configMapGenerator": (
        {
            "configMapGenerator": [
                {"name": "c", "files": ["cfg/app.conf", "renamed.txt=cfg/original.txt"], "envs": ["cfg/params.env"]},
                {"name": "old", "env": "cfg/old.env"},
                {"name": "lit", "literals": ["a=b"]},
            ]
        },
        {
            "app/cfg/app.conf": "x",
            "app/cfg/original.txt": "y",
            "app/cfg/params.env": "A=1\n",
            "app/cfg/old.env": "B=2\n",
        },
        {"app/cfg/app.conf", "app/cfg/original.txt", "app/cfg/params.env", "app/cfg/old.env"},
    ),
    "secretGenerator": (
        {"secretGenerator": [{"name": "s", "files": ["tls.crt=secret/cert.pem"], "envs": ["secret/creds.env"]}]},
        {"app/secret/cert.pem": "pem", "app/secret/creds.env": "USER=u\n"},
        {"app/secret/cert.pem", "app/secret/creds.env"},
    ),
    "crds": ({"crds": ["crds/thing.json"]}, {"app/crds/thing.json": "{}"}, {"app/crds/thing.json"}),
    "replacements path": (
        {"replacements": [{"path": "repl.yaml"}, {"source": {"kind": "ConfigMap"}, "targets": []}]},
        {"app/repl.yaml": "[]\n"},
        {"app/repl.yaml"},
    ),
    "openapi path": ({"openapi": {"path": "schema.json"}}, {"app/schema.json": "{}"}, {"app/schema.json"}),
    "configurations": (
        {"configurations": ["params.yaml"]},
        {"app/params.yaml": "varReference: []\n"},
        {"app/params.yaml"},
    ),
    "generators and transformers": (
        {
            "generators": ["gen.yaml", "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: inline}\n"],
            "transformers": ["labels.yaml", "../trans"],
            "validators": ["check.yaml"],
        },
        {
            "app/gen.yaml": CM,
            "app/labels.yaml": "apiVersion: builtin\nkind: LabelTransformer\n",
            f"trans/{KUST}": {"resources": ["t.yaml"]},
            "trans/t.yaml": "apiVersion: builtin\nkind: PrefixTransformer\n",
            "app/check.yaml": CM,
        },
        {"app/gen.yaml", "app/labels.yaml", f"trans/{KUST}", "trans/t.yaml", "app/check.yaml"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_field_kind_records_its_files(case: str, tmp_path: Path) -> None:
    kustomization, files, expected = CASES[case]
    root = tree(tmp_path / "a", {f"app/{KUST}": kustomization, **files, "unused.yaml": CM})
    assert walk({"a": root}) == {("a", p) for p in {f"app/{KUST}", *expected}}


@pytest.mark.parametrize("name", ["kustomization.yml", "Kustomization"])
def test_other_kustomization_file_names(name: str, tmp_path: Path) -> None:
    root = tree(tmp_path / "a", {f"app/{name}": {"resources": ["cm.yaml"]}, "app/cm.yaml": CM})
    assert walk({"a": root}) == {("a", f"app/{name}"), ("a", "app/cm.yaml")}


def test_a_folder_reached_twice_is_walked_once(tmp_path: Path) -> None:
    root = tree(
        tmp_path / "a",
        {
            f"app/{KUST}": {"resources": ["../x", "../y"]},
            f"x/{KUST}": {"resources": ["../shared"]},
            f"y/{KUST}": {"resources": ["../shared/"]},
            f"shared/{KUST}": {"resources": ["s.yaml"]},
            "shared/s.yaml": CM,
        },
    )
    assert walk({"a": root}) == {
        ("a", p) for p in (f"app/{KUST}", f"x/{KUST}", f"y/{KUST}", f"shared/{KUST}", "shared/s.yaml")
    }


# --- remotes -----------------------------------------------------------------------------------------
URL = "https://github.com/example/b/deploy?ref=v1.0.0"


def two_sources(tmp_path: Path) -> dict[str, Path]:
    a = tree(tmp_path / "a", {f"app/{KUST}": {"resources": ["cm.yaml", URL]}, "app/cm.yaml": CM})
    b = tree(
        tmp_path / "b",
        {
            f"deploy/{KUST}": {"resources": ["d.yaml"], "configMapGenerator": [{"name": "e", "envs": ["e.env"]}]},
            "deploy/d.yaml": CM,
            "deploy/e.env": "X=1\n",
        },
    )
    return {"a": a, "b": b}


def test_a_mapped_remote_resolves_into_the_other_source(tmp_path: Path) -> None:
    files = walk(two_sources(tmp_path), remotes=[Remote(url=URL, source="b", path="deploy/")])
    assert files == {
        ("a", f"app/{KUST}"),
        ("a", "app/cm.yaml"),
        ("b", f"deploy/{KUST}"),
        ("b", "deploy/d.yaml"),
        ("b", "deploy/e.env"),
    }


def test_a_remote_mapped_to_a_file(tmp_path: Path) -> None:
    files = walk(two_sources(tmp_path), remotes=[Remote(url=URL, source="b", path="deploy/d.yaml")])
    assert ("b", "deploy/d.yaml") in files
    assert ("b", f"deploy/{KUST}") not in files


def test_an_unmapped_remote_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as err:
        walk(two_sources(tmp_path), remotes=[Remote(url=URL + "x", source="b", path="deploy")])
    assert (err.value.file, err.value.field) == (f"a:app/{KUST}", "resources")
    assert f"remote base {URL!r} is not mapped to a pinned source" in str(err.value)


@pytest.mark.parametrize(
    "url", ["github.com/example/b/deploy?ref=v1", "git@github.com:example/b.git//deploy", "https://x.example/y.yaml"]
)
def test_every_remote_form_needs_a_mapping(url: str, tmp_path: Path) -> None:
    root = tree(tmp_path / "a", {f"app/{KUST}": {"components": [url]}})
    with pytest.raises(BadInput, match="is not mapped") as err:
        walk({"a": root})
    assert err.value.field == "components"


# --- edits -------------------------------------------------------------------------------------------
def edited_tree(tmp_path: Path) -> dict[str, Path]:
    return {
        "a": tree(
            tmp_path / "a",
            {
                f"app/{KUST}": {"resources": ["keep.yaml", "hook"]},
                "app/keep.yaml": CM,
                f"app/hook/{KUST}": {"configMapGenerator": [{"name": "code", "files": ["sync.py"]}]},
                # hook/sync.py is absent, as program files are from the mirror: only the edit makes the walk pass.
            },
        )
    }


def test_an_edit_drops_a_resource(tmp_path: Path) -> None:
    roots = edited_tree(tmp_path)
    with pytest.raises(BadInput, match=r"a:app/hook/sync.py does not exist") as err:
        walk(roots)
    assert (err.value.file, err.value.field) == (f"a:app/hook/{KUST}", "configMapGenerator")
    edit = Edit(file=f"a:app/{KUST}", drop_resources=["hook"], why="test")
    assert walk(roots, edits=[edit]) == {("a", f"app/{KUST}"), ("a", "app/keep.yaml")}
    # The edit only happens in the walk: the file itself is untouched.
    assert "hook" in (roots["a"] / "app" / KUST).read_text(encoding="utf-8")


def test_an_edit_dropping_an_absent_resource_is_refused(tmp_path: Path) -> None:
    edit = Edit(file=f"a:app/{KUST}", drop_resources=["gone"], why="test")
    with pytest.raises(BadInput, match="edit drops 'gone' but it is not in resources") as err:
        walk(edited_tree(tmp_path), edits=[edit])
    assert err.value.file == f"a:app/{KUST}"


# --- refusals ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kustomization", "field"),
    [
        ({"resources": ["../../outside"]}, "resources"),
        ({"resources": ["../.."]}, "resources"),
        ({"patches": [{"path": "../../outside/p.yaml"}]}, "patches"),
        ({"configMapGenerator": [{"name": "c", "files": ["k=../../outside/f.txt"]}]}, "configMapGenerator"),
        ({"resources": ["/etc/hostname"]}, "resources"),
        ({"crds": ["/etc/hostname"]}, "crds"),
    ],
)
def test_a_path_leaving_the_source_is_refused(kustomization: dict[str, Any], field: str, tmp_path: Path) -> None:
    # The paths exist on disk beside the source: only the rule refuses them.
    tree(tmp_path, {"outside/p.yaml": CM, "outside/f.txt": "x", f"outside/{KUST}": {}})
    root = tree(tmp_path / "a", {f"app/{KUST}": kustomization})
    with pytest.raises(BadInput, match="leaves the source 'a'") as err:
        walk({"a": root})
    assert (err.value.file, err.value.field) == (f"a:app/{KUST}", field)


@pytest.mark.parametrize(
    ("kustomization", "field", "missing"),
    [
        ({"resources": ["nope.yaml"]}, "resources", "app/nope.yaml"),
        ({"patches": [{"path": "nope.yaml"}]}, "patches", "app/nope.yaml"),
        ({"patchesStrategicMerge": ["nope.yaml"]}, "patchesStrategicMerge", "app/nope.yaml"),
        ({"patchesJson6902": [{"path": "nope.yaml"}]}, "patchesJson6902", "app/nope.yaml"),
        ({"secretGenerator": [{"name": "s", "envs": ["nope.env"]}]}, "secretGenerator", "app/nope.env"),
        ({"openapi": {"path": "nope.json"}}, "openapi", "app/nope.json"),
        ({"replacements": [{"path": "nope.yaml"}]}, "replacements", "app/nope.yaml"),
        ({"configurations": ["nope.yaml"]}, "configurations", "app/nope.yaml"),
        ({"transformers": ["nope.yaml"]}, "transformers", "app/nope.yaml"),
    ],
)
def test_a_missing_file_is_refused_naming_the_kustomization_and_field(
    kustomization: dict[str, Any], field: str, missing: str, tmp_path: Path
) -> None:
    root = tree(tmp_path / "a", {f"app/{KUST}": kustomization})
    with pytest.raises(BadInput) as err:
        walk({"a": root})
    assert (err.value.file, err.value.field) == (f"a:app/{KUST}", field)
    assert str(err.value) == f"a:app/{KUST}: {field}: a:{missing} does not exist"


def test_a_folder_without_a_kustomization_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path / "a", {f"app/{KUST}": {"components": ["../plain"]}, "plain/x.yaml": CM})
    with pytest.raises(BadInput, match="no kustomization file in a:plain") as err:
        walk({"a": root})
    assert (err.value.file, err.value.field) == (f"a:app/{KUST}", "components")


def test_helm_charts_are_refused(tmp_path: Path) -> None:
    root = tree(tmp_path / "a", {f"app/{KUST}": {"helmCharts": [{"name": "x", "repo": "https://charts.example"}]}})
    with pytest.raises(BadInput, match="helm charts are not supported") as err:
        walk({"a": root})
    assert err.value.field == "helmCharts"


def test_malformed_kustomization_names_its_line(tmp_path: Path) -> None:
    root = tree(tmp_path / "a", {f"app/{KUST}": "resources:\n- a.yaml\n  b: c\n"})
    with pytest.raises(BadInput, match=r"malformed YAML \(line 3\)") as err:
        walk({"a": root})
    assert err.value.file == f"a:app/{KUST}"


def test_a_field_that_is_not_a_list_of_strings_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path / "a", {f"app/{KUST}": {"resources": "cm.yaml"}, "app/cm.yaml": CM})
    with pytest.raises(BadInput, match="expected a list of strings") as err:
        walk({"a": root})
    assert err.value.field == "resources"


# --- lockgen on a synthetic definition -----------------------------------------------------------------
def definition(include: list[str]) -> ReleaseDefinition:
    return ReleaseDefinition.model_validate(
        {
            "release": "test",
            "upstream": "example test",
            "kubernetes": {"min": "1.34", "tested": "v1.34.0"},
            "sources": {
                "a": {"repo": "example/a", "tag": "v1", "commit": "a" * 40, "include": include},
                "b": {"repo": "example/b", "tag": "v1.0.0", "commit": "b" * 40, "include": ["deploy"]},
            },
            "remotes": [{"url": URL, "source": "b", "path": "deploy"}],
            "components": {"one": {"version": "1", "description": "d", "source": "a", "paths": ["app"]}},
        }
    )


def test_generate_pins_each_file_read(tmp_path: Path) -> None:
    roots = two_sources(tmp_path)
    lock = generate(definition(["app"]), b"release: test\n", roots)
    expected_a = {f"app/{KUST}", "app/cm.yaml"}
    assert lock.sources["a"].files == {p: file_sha256(roots["a"] / p) for p in sorted(expected_a)}
    assert set(lock.sources["b"].files) == {f"deploy/{KUST}", "deploy/d.yaml", "deploy/e.env"}
    assert lock.sources["a"].tree == tree_sha256(lock.sources["a"].files)
    comp = lock.components["one"]
    assert comp.files == sorted(f"{s}:{p}" for s in ("a", "b") for p in lock.sources[s].files)
    assert comp.inputs == tree_sha256({f: lock.sources[f.split(":")[0]].files[f.split(":", 1)[1]] for f in comp.files})
    assert lock.definition == hashlib.sha256(b"release: test\n").hexdigest()
    assert lock.remotes == definition(["app"]).remotes


def test_generate_refuses_a_file_outside_the_include_list(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"a:app/cm.yaml lies outside the source's include list \['other'\]"):
        generate(definition(["other"]), b"", two_sources(tmp_path))
