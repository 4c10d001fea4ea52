"""fetch_release from a codeload-like server on loopback: good, truncated, altered, hostile, missing."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from kubeforge.errors import BadInput, IntegrityError
from kubeforge.fetch import MARKER, FetchError, fetch_release, source_dir
from kubeforge.release.digest import file_sha256
from kubeforge.release.model import Lock

from .helpers import Codeload, Route, assert_no_staging_left, make_archive, only


def route_of(lock: Lock, key: str) -> str:
    src = lock.sources[key]
    return f"/{src.repo}/tar.gz/{src.commit}"


def archive_of(lock: Lock, key: str, upstream: Path, replace: Mapping[str, bytes] | None = None) -> bytes:
    """The archive codeload serves for a source: top folder `<name>-<commit>/`."""
    src = lock.sources[key]
    top = f"{src.repo.split('/')[1]}-{src.commit}"
    return make_archive(upstream / src.repo / src.tag, top, replace=replace or {})


def assert_nothing_cached(cache: Path) -> None:
    assert not (cache / "sources").exists() or not any((cache / "sources").iterdir())
    assert_no_staging_left(cache)


@pytest.mark.parametrize("top", ["codeload", "other"])
def test_good_archive_is_fetched_and_verified(
    lock_2603: Lock, upstream: Path, tmp_path: Path, codeload: Codeload, top: str
) -> None:
    lock = only(lock_2603, "jobset")
    src = lock.sources["jobset"]
    body = (
        archive_of(lock, "jobset", upstream)
        if top == "codeload"
        else make_archive(upstream / src.repo / src.tag, "kubernetes-sigs-jobset-da72d32")
    )
    codeload.routes[route_of(lock, "jobset")] = Route(body)
    cache = tmp_path / "cache"
    calls: list[tuple[str, int, int]] = []
    report = fetch_release(
        lock, cache=cache, mirror=None, github_url=codeload.url + "/", progress=lambda *a: calls.append(a), timeout=10
    )
    assert codeload.hits == [route_of(lock, "jobset")]
    assert report.sources[0].origin == "github"
    folder = source_dir(cache, src.tree)
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk == {*src.files, MARKER}  # the archive's other files (LICENSE, docs) are not taken
    assert {p: file_sha256(folder / p) for p in src.files} == src.files
    assert ("jobset: downloading", len(body), len(body)) in calls
    assert ("jobset: extracting", len(src.files), len(src.files)) in calls
    assert_no_staging_left(cache)
    warm = fetch_release(lock, cache=cache, mirror=None, github_url=codeload.url, timeout=10)
    assert warm.sources[0].origin == "cache" and len(codeload.hits) == 1


@pytest.mark.parametrize("length", [True, False], ids=["content-length", "no-length"])
def test_truncated_archive_is_refused(
    lock_2603: Lock, upstream: Path, tmp_path: Path, codeload: Codeload, length: bool
) -> None:
    lock = only(lock_2603, "argo-workflows")
    body = archive_of(lock, "argo-workflows", upstream)
    codeload.routes[route_of(lock, "argo-workflows")] = Route(body, cut=len(body) // 2, length=length)
    cache = tmp_path / "cache"
    with pytest.raises(IntegrityError) as err:
        fetch_release(lock, cache=cache, mirror=None, github_url=codeload.url, timeout=10)
    message = str(err.value)
    assert "truncated" in message and codeload.url + route_of(lock, "argo-workflows") in message
    if length:
        assert f"got {len(body) // 2} of {len(body)} bytes" in message
    assert_nothing_cached(cache)


def test_archive_with_a_changed_file_is_refused(
    lock_2603: Lock, upstream: Path, tmp_path: Path, codeload: Codeload
) -> None:
    lock = only(lock_2603, "lws")
    src = lock.sources["lws"]
    path = sorted(src.files)[-1]
    changed = (upstream / src.repo / src.tag / path).read_bytes() + b"\n# not upstream\n"
    codeload.routes[route_of(lock, "lws")] = Route(archive_of(lock, "lws", upstream, replace={path: changed}))
    cache = tmp_path / "cache"
    with pytest.raises(IntegrityError) as err:
        fetch_release(lock, cache=cache, mirror=None, github_url=codeload.url, timeout=10)
    actual = hashlib.sha256(changed).hexdigest()
    assert str(err.value) == (
        f"source lws (kubernetes-sigs/lws@v0.7.0): {path} sha256 mismatch: "
        f"lock {src.files[path][:12]}… archive {actual[:12]}…"
    )
    assert_nothing_cached(cache)


def test_missing_commit_gives_status_and_url(lock_2603: Lock, tmp_path: Path, codeload: Codeload) -> None:
    lock = only(lock_2603, "jobset")
    cache = tmp_path / "cache"
    with pytest.raises(FetchError) as err:
        fetch_release(lock, cache=cache, mirror=None, github_url=codeload.url, timeout=10)
    url = codeload.url + route_of(lock, "jobset")
    assert str(err.value) == f"download of {url} failed: HTTP 404 Not Found"
    assert err.value.exit_code == 2
    assert_nothing_cached(cache)


def test_archive_without_a_locked_file_is_refused(
    lock_2603: Lock, upstream: Path, tmp_path: Path, codeload: Codeload
) -> None:
    lock = only(lock_2603, "jobset")
    src = lock.sources["jobset"]
    path = sorted(src.files)[0]
    root = tmp_path / "tree"
    _partial_tree(lock, "jobset", upstream, root, leave_out=path)
    codeload.routes[route_of(lock, "jobset")] = Route(make_archive(root, f"jobset-{src.commit}"))
    cache = tmp_path / "cache"
    with pytest.raises(IntegrityError, match=re.escape(f"{path} is missing from the archive {codeload.url}/")):
        fetch_release(lock, cache=cache, mirror=None, github_url=codeload.url, timeout=10)
    assert_nothing_cached(cache)


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


def test_hostile_members_are_never_written(lock_2603: Lock, upstream: Path, tmp_path: Path, codeload: Codeload) -> None:
    """Members outside the lock are ignored whatever their path; a locked file may not link outside."""
    lock = only(lock_2603, "jobset")
    src = lock.sources["jobset"]
    top = f"jobset-{src.commit}"
    path = sorted(src.files)[0]
    root = tmp_path / "tree"
    _partial_tree(lock, "jobset", upstream, root, leave_out=path)

    def hostile(tar: tarfile.TarFile) -> None:
        evil = tarfile.TarInfo(f"{top}/../../escaped.txt")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
        tar.addfile(_link(f"{top}/{path}", "/etc/hostname"))

    codeload.routes[route_of(lock, "jobset")] = Route(make_archive(root, top, extra=hostile))
    cache = tmp_path / "cache"
    with pytest.raises(IntegrityError, match=re.escape(path) + r" in the archive \S+ is unsafe"):
        fetch_release(lock, cache=cache, mirror=None, github_url=codeload.url, timeout=10)
    assert not (tmp_path / "escaped.txt").exists() and not (cache / "escaped.txt").exists()
    assert_nothing_cached(cache)


def test_github_url_must_be_http(lock_2603: Lock, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not an http"):
        fetch_release(only(lock_2603, "jobset"), cache=tmp_path, mirror=None, github_url="file:///etc")


def _partial_tree(lock: Lock, key: str, upstream: Path, root: Path, leave_out: str) -> None:
    src = lock.sources[key]
    for p in src.files:
        if p != leave_out:
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            (root / p).write_bytes((upstream / src.repo / src.tag / p).read_bytes())


def test_locked_file_twice_in_the_archive_is_refused(
    lock_2603: Lock, upstream: Path, tmp_path: Path, codeload: Codeload
) -> None:
    """tar lets a later member shadow an earlier one: refuse rather than pick either."""
    lock = only(lock_2603, "jobset")
    src = lock.sources["jobset"]
    top = f"jobset-{src.commit}"
    path = sorted(src.files)[0]

    def shadow(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(f"{top}/{path}")
        info.size = 6
        tar.addfile(info, io.BytesIO(b"kind:\n"))

    codeload.routes[route_of(lock, "jobset")] = Route(make_archive(upstream / src.repo / src.tag, top, extra=shadow))
    cache = tmp_path / "cache"
    with pytest.raises(IntegrityError, match=re.escape(f"{path} appears twice in the archive")):
        fetch_release(lock, cache=cache, mirror=None, github_url=codeload.url, timeout=10)
    assert_nothing_cached(cache)


def test_locked_file_that_links_inside_the_archive_is_read_through(
    lock_2603: Lock, upstream: Path, tmp_path: Path, codeload: Codeload
) -> None:
    """Upstream repositories may hold relative symlinks; the cache gets the target's content as a file."""
    lock = only(lock_2603, "lws")
    src = lock.sources["lws"]
    top = f"lws-{src.commit}"
    path = sorted(src.files)[0]
    root = tmp_path / "tree"
    _partial_tree(lock, "lws", upstream, root, leave_out=path)
    (root / "real").mkdir()
    (root / "real" / "target.yaml").write_bytes((upstream / src.repo / src.tag / path).read_bytes())
    depth = path.count("/")
    codeload.routes[route_of(lock, "lws")] = Route(
        make_archive(
            root, top, extra=lambda tar: tar.addfile(_link(f"{top}/{path}", "../" * depth + "real/target.yaml"))
        )
    )
    cache = tmp_path / "cache"
    fetch_release(lock, cache=cache, mirror=None, github_url=codeload.url, timeout=10)
    cached = source_dir(cache, src.tree) / path
    assert not cached.is_symlink() and file_sha256(cached) == src.files[path]
    assert not (source_dir(cache, src.tree) / "real").exists()
