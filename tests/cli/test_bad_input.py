"""Bad input: one line on stderr naming the file, the field and what was expected; exit 2; nothing written."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import REPO, Result, Run

from kubeforge.release.model import Lock
from kubeforge.release.store import load_lock

BAD_INPUT = 2


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def refused(result: Result) -> str:
    """Exit 2, nothing on stdout, one line on stderr: that line."""
    assert result.rc == BAD_INPUT, result
    assert result.stdout == ""
    line = result.error_line
    assert line.startswith("error: ")
    return line


def show(kubeforge: Run, home: Path, *args: str | Path) -> Result:
    return kubeforge("spec", "show", *args, home=home)


# --- profiles ----------------------------------------------------------------------------------------
def test_unknown_profile(kubeforge: Run, home: Path) -> None:
    line = refused(show(kubeforge, home, "--profile", "nope"))
    assert "--profile: unknown profile 'nope'" in line
    assert str(home / "profiles" / "nope.yaml") in line
    assert "(known: aks, eks, gke, gpu, kind, production)" in line


def test_unknown_profile_in_extends(kubeforge: Run, home: Path) -> None:
    child = write(home / "profiles" / "child.yaml", "extends: kind-ish\n")
    line = refused(show(kubeforge, home, "--profile", "child"))
    assert f"{child}: extends: unknown profile 'kind-ish'" in line


def test_extends_loop(kubeforge: Run, home: Path) -> None:
    write(home / "profiles" / "a.yaml", "extends: b\n")
    b = write(home / "profiles" / "b.yaml", "extends: a\n")
    line = refused(show(kubeforge, home, "--profile", "a"))
    assert f"{b}: extends: extends loop: a -> b -> a" in line


def test_static_users_in_a_non_kind_profile(kubeforge: Run, home: Path) -> None:
    staging = write(
        home / "profiles" / "staging.yaml",
        "extends: production\nidentity:\n  static_users:\n    - email: admin@example.com\n",
    )
    line = refused(show(kubeforge, home, "--profile", "staging"))
    assert f"{staging}: identity.static_users: static users are for kind only" in line
    assert "cluster.provider is 'kubeadm'" in line


def test_malformed_yaml_names_its_line(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "o.yaml", "cluster:\n  name: ok\n   provider: kind\nsizing: {}\n")
    line = refused(show(kubeforge, home, "-f", bad))
    assert f"{bad}: malformed YAML at line 3" in line


# --- the spec against the lock ----------------------------------------------------------------------
def test_unknown_component(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    o = write(tmp_path / "o.yaml", "components:\n  notebooks: {enabled: false}\n  jupyterhub: {enabled: true}\n")
    line = refused(show(kubeforge, home, "-f", o))
    assert f"{o}: components.jupyterhub: unknown component 'jupyterhub'" in line
    assert "release 26.03 has: central-dashboard," in line


def test_release_not_defined(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    o = write(tmp_path / "o.yaml", 'release: "27.01"\n')
    line = refused(show(kubeforge, home, "-f", o))
    assert line == f"error: {o}: release: release '27.01' is not defined (known: 26.03, v1.11.0)"


def test_release_without_a_lock(kubeforge: Run, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(REPO / "profiles", home / "profiles")
    shutil.copytree(REPO / "manifests", home / "manifests")
    (home / "manifests" / "v1.11.0" / "lock.json").unlink()
    o = write(tmp_path / "o.yaml", "release: v1.11.0\n")
    line = refused(show(kubeforge, home, "-f", o))
    assert f"{o}: release: " in line
    assert "no lock for release 'v1.11.0': run `kubeforge lock --release v1.11.0`" in line
    assert not (home / "manifests" / "v1.11.0" / "lock.json").exists()


def test_kubernetes_outside_the_release_range(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    o = write(tmp_path / "o.yaml", 'cluster:\n  kubernetes: "1.33"\n')
    line = refused(show(kubeforge, home, "-f", o))
    assert f"{o}: cluster.kubernetes: Kubernetes 1.33 is outside release 26.03's supported range (>= 1.34)" in line


# --- teams -------------------------------------------------------------------------------------------
def test_invalid_team_name(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    o = write(tmp_path / "o.yaml", "teams:\n  - name: ML_Research\n    owners: [a@example.com]\n")
    line = refused(show(kubeforge, home, "-f", o))
    assert f"{o}: teams.0.name: 'ML_Research' does not match " in line


def test_invalid_team_name_shows_the_whole_pattern(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    o = write(tmp_path / "o.yaml", "teams:\n  - name: ML_Research\n    owners: [a@example.com]\n")
    line = refused(show(kubeforge, home, "-f", o))
    assert line == f"error: {o}: teams.0.name: 'ML_Research' does not match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


def test_duplicate_team_name(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    o = write(
        tmp_path / "o.yaml",
        "teams:\n  - {name: vision, owners: [a@example.com]}\n  - {name: nlp, owners: [b@example.com]}\n"
        "  - {name: vision, owners: [c@example.com]}\n",
    )
    line = refused(show(kubeforge, home, "-f", o))
    assert line == f"error: {o}: teams.2.name: duplicate team name 'vision'"


def test_negative_quantity(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    o = write(tmp_path / "o.yaml", 'teams:\n  - name: t\n    owners: [a@example.com]\n    quota: {memory: "-8Gi"}\n')
    line = refused(show(kubeforge, home, "-f", o))
    assert line == f"error: {o}: teams.0.quota.memory: '-8Gi' is negative; expected a quantity >= 0"


def test_unparsable_quantity(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    o = write(tmp_path / "o.yaml", "teams:\n  - name: t\n    owners: [a@example.com]\n    quota: {storage: 2TB}\n")
    line = refused(show(kubeforge, home, "-f", o))
    assert line == f"error: {o}: teams.0.quota.storage: '2TB' is not a Kubernetes quantity (e.g. 500m, 2, 4Gi)"


# --- fetch: a mirror that does not match the lock ------------------------------------------------------
def tampered_mirror(upstream: Path, mirror: Path, lock: Lock) -> tuple[str, Path]:
    """A mirror whose first source is a copy of its locked files (to tamper with), the others links to upstream."""
    first = next(iter(lock.sources))
    for key, src in lock.sources.items():
        target = mirror / src.repo / src.tag
        target.parent.mkdir(parents=True, exist_ok=True)
        if key != first:
            target.symlink_to(upstream / src.repo / src.tag, target_is_directory=True)
            continue
        for path in src.files:
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(upstream / src.repo / src.tag / path, target / path)
    return first, mirror / lock.sources[first].repo / lock.sources[first].tag


def nothing_cached(tmp_path: Path) -> None:
    cache = tmp_path / "private" / "cache"
    sources = cache / "sources"
    assert not sources.exists() or list(sources.iterdir()) == []
    staging = cache / "tmp"
    assert not staging.exists() or list(staging.iterdir()) == []


def test_fetch_mirror_file_with_another_digest(kubeforge: Run, upstream: Path, tmp_path: Path) -> None:
    lock = load_lock("26.03")
    key, root = tampered_mirror(upstream, tmp_path / "mirror", lock)
    path = sorted(lock.sources[key].files)[-1]
    with (root / path).open("a", encoding="utf-8") as fh:
        fh.write("\n# changed\n")
    line = refused(kubeforge("fetch", "--release", "26.03", "--mirror", tmp_path / "mirror"))
    src = lock.sources[key]
    assert f"source {key} ({src.repo}@{src.tag}): {path} sha256 mismatch: lock {src.files[path][:12]}" in line
    nothing_cached(tmp_path)


def test_fetch_mirror_missing_a_file(kubeforge: Run, upstream: Path, tmp_path: Path) -> None:
    lock = load_lock("26.03")
    key, root = tampered_mirror(upstream, tmp_path / "mirror", lock)
    path = sorted(lock.sources[key].files)[0]
    (root / path).unlink()
    line = refused(kubeforge("fetch", "--release", "26.03", "--mirror", tmp_path / "mirror"))
    src = lock.sources[key]
    assert line == f"error: source {key} ({src.repo}@{src.tag}): {path} is missing from the mirror"
    nothing_cached(tmp_path)


# --- render --out ------------------------------------------------------------------------------------
def test_render_out_root(kubeforge: Run, home: Path) -> None:
    line = refused(kubeforge("render", "--out", "/", home=home))
    assert line == "error: --out: cannot write to /: the file-system root is never a render folder"


def test_render_out_a_checkout_keeps_it(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    write(checkout / "README.md", "mine\n")
    line = refused(kubeforge("render", "--out", checkout, home=home))
    assert line.startswith(f"error: --out: refusing to replace {checkout}: it is not empty and not a previous")
    assert (checkout / "README.md").read_text() == "mine\n"
    assert sorted(p.name for p in checkout.iterdir()) == ["README.md"]


def test_render_out_an_existing_file(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "f", "x")
    line = refused(kubeforge("render", "--out", f, home=home))
    assert line == f"error: --out: cannot write to {f}: it is a file, not a folder"


# --- a lock edited by hand, or stale against its release.yaml ------------------------------------------
def home_with_own_manifests(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(REPO / "profiles", home / "profiles")
    shutil.copytree(REPO / "manifests", home / "manifests")
    return home


def edit_lock(home: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    path = home / "manifests" / "26.03" / "lock.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path


def test_hand_edited_kubernetes_min_is_refused(kubeforge: Run, tmp_path: Path) -> None:
    home = home_with_own_manifests(tmp_path)
    lock = edit_lock(home, lambda d: d["kubernetes"].update(min="1.20"))
    o = write(tmp_path / "o.yaml", 'cluster:\n  kubernetes: "1.20"\n')
    line = refused(kubeforge("spec", "show", "-f", o, home=home))
    assert line == (
        f"error: {lock}: kubernetes.min: '1.20' in the lock, '1.34' in release.yaml; "
        "locks are generated, never edited: run `kubeforge lock --release 26.03`"
    )


def test_hand_edited_file_digest_is_refused(kubeforge: Run, tmp_path: Path) -> None:
    home = home_with_own_manifests(tmp_path)

    def change(d: dict[str, Any]) -> None:
        files = d["sources"]["manifests"]["files"]
        files[sorted(files)[0]] = "0" * 64

    lock = edit_lock(home, change)
    line = refused(kubeforge("render", "--out", tmp_path / "out", home=home))
    assert line.startswith(f"error: {lock}: sources.manifests.tree: ")
    assert "is not the digest of its files" in line
    assert not (tmp_path / "out").exists()


def test_lock_older_than_its_release_yaml_is_refused(kubeforge: Run, tmp_path: Path) -> None:
    home = home_with_own_manifests(tmp_path)
    definition = home / "manifests" / "26.03" / "release.yaml"
    definition.write_text(
        definition.read_text().replace("min: '1.34'", "min: '1.33'").replace('min: "1.34"', 'min: "1.33"')
    )
    line = refused(kubeforge("spec", "show", home=home))
    lock = home / "manifests" / "26.03" / "lock.json"
    assert line.startswith(f"error: {lock}: definition: the lock was made from a release.yaml with sha256 ")
    assert line.endswith("run `kubeforge lock --release 26.03`")


# --- the cache changed after a fetch -----------------------------------------------------------------
def test_render_and_check_refuse_a_cache_file_changed_after_fetch(
    kubeforge: Run, upstream: Path, tmp_path: Path
) -> None:
    assert kubeforge("fetch", "--release", "26.03", "--mirror", upstream).rc == 0
    lock = load_lock("26.03")
    src = lock.sources["manifests"]
    path = "common/dex/base/deployment.yaml"
    assert path in src.files
    cached = tmp_path / "private" / "cache" / "sources" / src.tree / path
    cached.chmod(0o644)
    cached.write_text(cached.read_text().replace("ghcr.io/dexidp/dex", "evil.example/dex"))
    actual = hashlib.sha256(cached.read_bytes()).hexdigest()
    expected = f"{path} sha256 mismatch: lock {src.files[path][:12]}… cache {actual[:12]}…"
    for command in (["render", "--out", tmp_path / "out"], ["check"]):
        line = refused(kubeforge(*command))
        assert expected in line, command
    assert not (tmp_path / "out").exists()


# --- input too big to build ----------------------------------------------------------------------------
def anchor_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion-laughs of maps: each level a map of `width` aliases of the level before."""
    lines = ["l0: &l0 {x: 1, y: 2}"]
    for i in range(1, levels + 1):
        refs = ", ".join(f"k{j}: *l{i - 1}" for j in range(width))
        lines.append(f"l{i}: &l{i} {{{refs}}}")
    return "\n".join(lines) + "\n"


def test_anchor_bomb_in_overrides(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    bomb = write(tmp_path / "bomb.yaml", anchor_bomb())
    line = refused(show(kubeforge, home, "-f", bomb))
    assert line == (
        f"error: {bomb}: expands to more than 200000 YAML nodes (anchors and aliases counted each time they are used)"
    )


def test_anchor_bomb_in_a_profile(kubeforge: Run, home: Path) -> None:
    bomb = write(home / "profiles" / "bomb.yaml", "extends: kind\n" + anchor_bomb())
    line = refused(show(kubeforge, home, "--profile", "bomb"))
    assert line.startswith(f"error: {bomb}: expands to more than 200000 YAML nodes")


def test_a_50_mb_spec(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as fh:
        fh.write("teams:\n")
        row = "  - {name: t, owners: [a@example.com]}\n"
        fh.write(row * (50_000_000 // len(row)))
    line = refused(show(kubeforge, home, "-f", big))
    assert line == f"error: {big}: {big.stat().st_size} bytes; a spec file may have at most 4194304 bytes"


def test_gpu_quota_while_gpus_are_disabled(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    o = write(tmp_path / "o.yaml", "teams:\n  - name: vision\n    owners: [a@example.com]\n    quota: {gpu: 2}\n")
    line = refused(show(kubeforge, home, "-f", o))
    assert line == (
        f"error: {o}: teams.0.quota.gpu: team 'vision' has a GPU quota of 2 but gpu.enabled is false; "
        "enable GPUs or set the quota to 0"
    )
