"""The README's bad-input table is real output: each row's input is run here and its exit code and message compared.

Paths in messages are written in the README as FILE (the file given), OUT (--out) and LOCK (the lock file);
PID is the process holding a lock.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import REPO, Result, Run
from release.synthetic import lock_and_fetch, make_release, render, replace_in
from release.test_synthetic_stores import SEAWEEDFS_S3_SERVICE

from kubeforge.release.store import load_lock
from kubeforge.render.outlock import out_lock

from .test_bad_input import anchor_bomb

Scenario = Callable[[Run, Path, Path, Path], tuple[Result, dict[str, Path]]]
ROW = re.compile(r"^\| (?P<input>[^|]+?) \| (?P<rc>\d) \| `` (?P<message>.*) `` \|$")


def readme_rows() -> list[tuple[str, int, str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Bad input", 1)[1].split("\n#", 1)[0]
    return [(m["input"], int(m["rc"]), m["message"]) for line in section.splitlines() if (m := ROW.match(line))]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _unknown_profile(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
    return kf("spec", "show", "--profile", "nope", home=home), {"FILE": home / "profiles" / "nope.yaml"}


def _extends_loop(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
    write(home / "profiles" / "a.yaml", "extends: b\n")
    b = write(home / "profiles" / "b.yaml", "extends: a\n")
    return kf("spec", "show", "--profile", "a", home=home), {"FILE": b}


def _malformed(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
    f = write(tmp / "o.yaml", "cluster:\n  name: ok\n   provider: kind\n")
    return kf("spec", "show", "-f", f, home=home), {"FILE": f}


def _overrides(text: str) -> Scenario:
    def run(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
        f = write(tmp / "o.yaml", text)
        return kf("spec", "show", "-f", f, home=home), {"FILE": f}

    return run


def _big(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
    f = tmp / "big.yaml"
    row = "  - {name: t, owners: [a@example.com]}\n"
    f.write_text("teams:\n" + row * (50_000_000 // len(row)))
    return kf("spec", "show", "-f", f, home=home), {"FILE": f}


def _edited_lock(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
    (home / "manifests").unlink()
    shutil.copytree(REPO / "manifests", home / "manifests")
    lock = home / "manifests" / "26.03" / "lock.json"
    data = json.loads(lock.read_text())
    data["kubernetes"]["min"] = "1.20"
    lock.write_text(json.dumps(data, indent=1))
    return kf("render", "--out", tmp / "out", home=home), {"LOCK": lock}


def _out(kind: str) -> Scenario:
    def run(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
        out = Path("/") if kind == "root" else tmp / "out"
        if kind == "file":
            write(out, "x")
        elif kind == "folder":
            write(out / "README.md", "mine\n")
        return kf("render", "--out", out, home=home), ({} if kind == "root" else {"OUT": out})

    return run


def _out_locked(*extra: str) -> Scenario:
    """Another render holds --out (this test process, holding its lock) for the whole run."""

    def run(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
        out = tmp / "out"
        with out_lock(out, tmp / "private" / "cache"):
            return kf("render", "--out", out, *extra, home=home), {"OUT": out}

    return run


def _store_not_found(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
    def lose_store(tree: Path) -> None:  # the S3 Service renamed, KFP's API server still naming the old one
        replace_in(tree / SEAWEEDFS_S3_SERVICE, "name: minio-service", "name: s3-artifacts")

    rel = make_release(tmp / "synthetic", up, "v1.11.0-nostore", edit_tree=lose_store)
    cache = tmp / "private" / "cache"
    lock_and_fetch(kf, rel, cache)
    return render(kf, rel, cache, tmp / "out"), {}


def _tampered_cache(kf: Run, home: Path, tmp: Path, up: Path) -> tuple[Result, dict[str, Path]]:
    assert kf("fetch", "--mirror", up, home=home).rc == 0
    tree = load_lock("26.03").sources["manifests"].tree
    dex = tmp / "private" / "cache" / "sources" / tree / "common" / "dex" / "base" / "deployment.yaml"
    dex.chmod(0o644)
    dex.write_text(dex.read_text().replace("ghcr.io/dexidp/dex", "evil.example/dex"))
    return kf("render", "--out", tmp / "out", home=home), {}


SCENARIOS: dict[str, Scenario] = {
    "`--profile nope`": _unknown_profile,
    "`extends:` loop": _extends_loop,
    "malformed YAML": _malformed,
    "unknown component": _overrides("components:\n  jupyterhub: {enabled: true}\n"),
    "release not defined": _overrides('release: "27.01"\n'),
    "Kubernetes outside the release's range": _overrides('cluster:\n  kubernetes: "1.33"\n'),
    "bad team name": _overrides("teams:\n  - name: ML_Research\n    owners: [a@example.com]\n"),
    "GPU quota while GPUs are disabled": _overrides(
        "teams:\n  - name: vision\n    owners: [a@example.com]\n    quota: {gpu: 2}\n"
    ),
    "YAML anchor bomb": lambda kf, home, tmp, up: _overrides(anchor_bomb())(kf, home, tmp, up),
    "a 50 MB spec": _big,
    "hand-edited lock (`kubernetes.min`)": _edited_lock,
    "cache file changed after fetch": _tampered_cache,
    "`--out /`": _out("root"),
    "`--out` a folder of the user's": _out("folder"),
    "`--out` an existing file": _out("file"),
    "`--out` being written by another render": _out_locked(),
    "the same, with `--wait 1`": _out_locked("--wait", "1"),
    "a release whose KFP names an object store the render lacks": _store_not_found,
}


def test_every_row_has_a_scenario_and_every_scenario_a_row() -> None:
    assert [row[0] for row in readme_rows()] == list(SCENARIOS)


@pytest.mark.parametrize(("name", "rc", "message"), readme_rows(), ids=[r[0] for r in readme_rows()])
def test_readme_row(
    name: str, rc: int, message: str, kubeforge: Run, home: Path, tmp_path: Path, upstream: Path
) -> None:
    result, paths = SCENARIOS[name](kubeforge, home, tmp_path, upstream)
    assert result.rc == rc, result
    line = result.error_line.removeprefix("error: ")
    pattern = re.escape(message)
    for placeholder, path in paths.items():
        pattern = pattern.replace(placeholder, re.escape(str(path)))
    pattern = pattern.replace(re.escape("<sha>"), "[0-9a-f]{12}").replace("PID", str(os.getpid()))
    assert re.fullmatch(pattern, line), f"README says {message!r}, got {line!r}"
