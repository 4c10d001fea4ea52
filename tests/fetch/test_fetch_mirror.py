"""fetch_release from the real mirror and from tampered copies of it; the warm cache; source_roots."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kubeforge.errors import BadInput, IntegrityError
from kubeforge.fetch import MARKER, fetch_release, source_dir, source_roots
from kubeforge.fetch.layout import stat_fingerprint
from kubeforge.fetch.stage import install
from kubeforge.release.digest import file_sha256, tree_sha256
from kubeforge.release.model import Lock

from .helpers import assert_no_staging_left, copy_locked, only

UNREACHABLE = "http://127.0.0.1:9"  # discard port: any download attempt fails fast


def cached_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def assert_cached(lock: Lock, cache: Path) -> None:
    """Every source's folder holds exactly its locked files (each with the locked digest) and the marker."""
    for src in lock.sources.values():
        folder = source_dir(cache, src.tree)
        assert cached_files(folder) == {*src.files, MARKER}
        assert {path: file_sha256(folder / path) for path in src.files} == src.files
        marker = json.loads((folder / MARKER).read_text())
        fingerprint = stat_fingerprint(folder, src)
        assert marker == {"repo": src.repo, "tag": src.tag, "commit": src.commit, "tree": src.tree, "stat": fingerprint}


def test_both_releases_from_the_mirror(lock_2603: Lock, lock_1110: Lock, upstream: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    report = fetch_release(lock_2603, cache=cache, mirror=upstream)
    assert [s.key for s in report.sources] == list(lock_2603.sources)
    assert {s.origin for s in report.sources} == {"mirror"}
    by_key = {s.key: s for s in report.sources}
    assert by_key["manifests"].files == len(lock_2603.sources["manifests"].files) > 500
    assert_cached(lock_2603, cache)

    # v1.11.0 shares argo-workflows, jobset, lws and calico (same tree digest): only its manifests are copied.
    report = fetch_release(lock_1110, cache=cache, mirror=upstream)
    origins = {s.key: s.origin for s in report.sources}
    assert origins == {
        "manifests": "mirror",
        "argo-workflows": "cache",
        "jobset": "cache",
        "lws": "cache",
        "calico": "cache",
    }
    assert_cached(lock_1110, cache)
    trees = {src.tree for lock in (lock_2603, lock_1110) for src in lock.sources.values()}
    assert len(list((cache / "sources").iterdir())) == len(trees) == 9  # 26.03 adds kube-prometheus and NVIDIA's two
    assert_no_staging_left(cache)

    roots = source_roots(lock_1110, cache)
    assert roots == {key: source_dir(cache, src.tree) for key, src in lock_1110.sources.items()}
    data = json.loads(report.to_json())
    assert data["sources"][0]["status"] == "fetched from mirror, verified"
    assert all(isinstance(row["bytes"], int) and row["bytes"] > 0 for row in report.rows())


def test_warm_fetch_only_checks(lock_2603: Lock, upstream: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    lock = only(lock_2603, "jobset", "lws")
    cold = fetch_release(lock, cache=cache, mirror=upstream)
    calls: list[tuple[str, int, int]] = []
    # No mirror and an unreachable GitHub: a warm fetch must not need either.
    warm = fetch_release(lock, cache=cache, mirror=None, github_url=UNREACHABLE, progress=lambda *a: calls.append(a))
    assert [s.origin for s in warm.sources] == ["cache", "cache"]
    assert [s.status for s in warm.sources] == ["verified (cached)"] * 2
    assert [s.bytes for s in warm.sources] == [s.bytes for s in cold.sources]
    n = len(lock.sources["jobset"].files)
    assert ("jobset: verifying", n, n) in calls
    assert {label for label, _, _ in calls} == {"jobset: verifying", "lws: verifying"}


def test_changed_cache_file_is_refused_and_force_refetches(lock_2603: Lock, upstream: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    lock = only(lock_2603, "jobset")
    src = lock.sources["jobset"]
    fetch_release(lock, cache=cache, mirror=upstream)
    path = sorted(src.files)[3]
    target = source_dir(cache, src.tree) / path
    assert not os.access(target, os.W_OK) or os.geteuid() == 0  # cached files are read-only
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes() + b"# edited\n")
    actual = file_sha256(target)

    with pytest.raises(IntegrityError) as err:
        fetch_release(lock, cache=cache, mirror=upstream)
    message = str(err.value)
    assert message.startswith(f"source jobset (kubernetes-sigs/jobset@v0.10.1): {path} sha256 mismatch: ")
    assert f"lock {src.files[path][:12]}… cache {actual[:12]}…" in message
    assert "--force" in message and str(source_dir(cache, src.tree)) in message
    assert "\n" not in message
    with pytest.raises(IntegrityError, match=f"{path} sha256 mismatch"):
        source_roots(lock, cache)  # the render's check sees the changed stat and re-hashes

    report = fetch_release(lock, cache=cache, mirror=upstream, force=True)
    assert report.sources[0].origin == "mirror"
    assert file_sha256(target) == src.files[path]
    assert_cached(lock, cache)
    assert_no_staging_left(cache)
    assert fetch_release(lock, cache=cache, mirror=None, github_url=UNREACHABLE).sources[0].origin == "cache"


@pytest.mark.parametrize("change", ["delete", "add"])
def test_cache_with_a_missing_or_extra_file_is_refused(
    lock_2603: Lock, upstream: Path, tmp_path: Path, change: str
) -> None:
    cache = tmp_path / "cache"
    lock = only(lock_2603, "lws")
    src = lock.sources["lws"]
    fetch_release(lock, cache=cache, mirror=upstream)
    folder = source_dir(cache, src.tree)
    path = sorted(src.files)[0]
    if change == "delete":
        (folder / path).unlink()
        expected = f"{path} is missing from the cache"
    else:
        (folder / "config" / "stray.yaml").write_text("kind: Secret\n")
        expected = "config/stray.yaml in the cache is not in the lock"
    with pytest.raises(IntegrityError, match="source lws") as err:
        fetch_release(lock, cache=cache, mirror=upstream)
    assert expected in str(err.value)


def test_tampered_mirror_is_refused_and_leaves_nothing(lock_2603: Lock, upstream: Path, tmp_path: Path) -> None:
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    lock = only(lock_2603, "jobset")
    src = lock.sources["jobset"]
    root = copy_locked(lock, "jobset", upstream, mirror)
    path = sorted(src.files)[-1]  # copied last: everything before it was staged and must go too
    (root / path).write_bytes((root / path).read_bytes().replace(b"name", b"nane", 1))
    actual = file_sha256(root / path)
    assert actual != src.files[path]

    with pytest.raises(IntegrityError) as err:
        fetch_release(lock, cache=cache, mirror=mirror)
    assert str(err.value) == (
        f"source jobset (kubernetes-sigs/jobset@v0.10.1): {path} sha256 mismatch: "
        f"lock {src.files[path][:12]}… mirror {actual[:12]}…"
    )
    assert not source_dir(cache, src.tree).exists()
    assert_no_staging_left(cache)
    with pytest.raises(BadInput, match=r"release 26\.03 is not in the cache .*kubeforge fetch --release 26\.03"):
        source_roots(lock, cache)


def test_mirror_missing_a_file_is_refused(lock_2603: Lock, upstream: Path, tmp_path: Path) -> None:
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    lock = only(lock_2603, "argo-workflows")
    root = copy_locked(lock, "argo-workflows", upstream, mirror)
    path = sorted(lock.sources["argo-workflows"].files)[5]
    (root / path).unlink()
    with pytest.raises(IntegrityError) as err:
        fetch_release(lock, cache=cache, mirror=mirror)
    assert (
        str(err.value) == f"source argo-workflows (argoproj/argo-workflows@v3.7.3): {path} is missing from the mirror"
    )
    assert not (cache / "sources").exists() or not any((cache / "sources").iterdir())
    assert_no_staging_left(cache)


def test_mirror_lacking_the_source_names_the_expected_folder(lock_2603: Lock, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with pytest.raises(BadInput) as err:
        fetch_release(only(lock_2603, "lws"), cache=tmp_path / "cache", mirror=mirror)
    assert f"expected the folder {mirror}/kubernetes-sigs/lws/v0.7.0" in str(err.value)
    with pytest.raises(BadInput, match="does not exist"):
        fetch_release(lock_2603, cache=tmp_path / "cache", mirror=tmp_path / "nowhere")


def test_a_failure_in_a_later_source_keeps_the_earlier_ones(lock_2603: Lock, upstream: Path, tmp_path: Path) -> None:
    """A failure in the second source leaves the first cached (it is verified) and no partial second."""
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    lock = only(lock_2603, "lws", "jobset")
    copy_locked(lock, "lws", upstream, mirror)
    with pytest.raises(BadInput, match=r"kubernetes-sigs/jobset/v0\.10\.1"):
        fetch_release(lock, cache=cache, mirror=mirror)
    assert [p.name for p in (cache / "sources").iterdir()] == [lock.sources["lws"].tree]
    assert_no_staging_left(cache)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "config/./x.yaml", MARKER, "a//b"])
def test_lock_paths_that_leave_the_folder_are_refused(lock_2603: Lock, tmp_path: Path, bad: str) -> None:
    src = lock_2603.sources["jobset"]
    files = {**src.files, bad: "0" * 64}
    tampered = src.model_copy(update={"files": files, "tree": tree_sha256(files)})
    lock = lock_2603.model_copy(update={"sources": {"jobset": tampered}})
    with pytest.raises(BadInput, match="is not a plain relative path"):
        fetch_release(lock, cache=tmp_path / "cache", mirror=tmp_path)
    assert not (tmp_path / "cache").exists()


def test_lock_whose_tree_digest_is_not_its_files_is_refused(lock_2603: Lock, tmp_path: Path) -> None:
    src = lock_2603.sources["jobset"]
    files = dict(list(src.files.items())[1:])
    lock = lock_2603.model_copy(update={"sources": {"jobset": src.model_copy(update={"files": files})}})
    with pytest.raises(IntegrityError, match=r"lock tree digest .* does not match its file list"):
        fetch_release(lock, cache=tmp_path / "cache", mirror=tmp_path)


def test_source_roots_of_a_release_never_fetched(lock_1110: Lock, tmp_path: Path) -> None:
    with pytest.raises(BadInput) as err:
        source_roots(lock_1110, tmp_path)
    assert str(err.value) == (
        f"release v1.11.0 is not in the cache ({tmp_path}: no manifests, argo-workflows, jobset, lws, calico): "
        "run `kubeforge fetch --release v1.11.0`"
    )


def test_debris_without_a_marker_is_replaced(lock_2603: Lock, upstream: Path, tmp_path: Path) -> None:
    """A folder at the cache address without its marker was never completed by a fetch: replaced."""
    cache = tmp_path / "cache"
    lock = only(lock_2603, "jobset")
    folder = source_dir(cache, lock.sources["jobset"].tree)
    (folder / "config").mkdir(parents=True)
    (folder / "config" / "junk.yaml").write_text("junk\n")
    with pytest.raises(BadInput, match="not in the cache"):
        source_roots(lock, cache)
    assert fetch_release(lock, cache=cache, mirror=upstream).sources[0].origin == "mirror"
    assert not (folder / "config" / "junk.yaml").exists()
    assert_cached(lock, cache)
    assert_no_staging_left(cache)


def test_install_keeps_a_concurrent_fetchs_folder(tmp_path: Path) -> None:
    """Two fetches of the same tree race: the second finds the first's complete folder and keeps it."""
    final, work = tmp_path / "sources" / "abc", tmp_path / "work"
    (final).mkdir(parents=True)
    (final / MARKER).write_text("{}")
    staging = work / "tree"
    staging.mkdir(parents=True)
    (staging / "f").write_text("mine")
    install(staging, final, work, replace=False)
    assert sorted(p.name for p in final.iterdir()) == [MARKER]
    install(staging, final, work, replace=True)
    assert sorted(p.name for p in final.iterdir()) == ["f"]
    assert (work / "replaced" / MARKER).is_file()


def test_a_cache_file_changed_after_fetch_is_refused_before_use(
    lock_2603: Lock, upstream: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    lock = only(lock_2603, "jobset", "lws")
    fetch_release(lock, cache=cache, mirror=upstream)
    source_roots(lock, cache)  # untouched: the cheap check passes
    src = next(iter(lock.sources.values()))
    path = sorted(src.files)[-1]
    target = source_dir(cache, src.tree) / path
    target.chmod(0o644)
    target.write_bytes(target.read_bytes() + b"# edited\n")
    actual = file_sha256(target)
    with pytest.raises(IntegrityError) as err:
        source_roots(lock, cache)
    message = str(err.value)
    assert f"{path} sha256 mismatch: lock {src.files[path][:12]}… cache {actual[:12]}…" in message


def test_a_touched_but_unchanged_cache_is_rehashed_once_then_trusted(
    lock_2603: Lock, upstream: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    lock = only(lock_2603, "jobset", "lws")
    fetch_release(lock, cache=cache, mirror=upstream)
    src = next(iter(lock.sources.values()))
    folder = source_dir(cache, src.tree)
    os.utime(folder / sorted(src.files)[0], ns=(1, 1))
    assert json.loads((folder / MARKER).read_text())["stat"] != stat_fingerprint(folder, src)
    source_roots(lock, cache)  # full check passes: same content
    assert json.loads((folder / MARKER).read_text())["stat"] == stat_fingerprint(folder, src)
