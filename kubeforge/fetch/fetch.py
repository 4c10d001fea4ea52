"""`fetch_release`: every source of a lock into the cache, from the cache itself, a mirror or GitHub."""

from __future__ import annotations

import time
from pathlib import Path

from kubeforge.errors import BadInput, IntegrityError
from kubeforge.fetch.archive import stage_from_archive
from kubeforge.fetch.download import archive_url, download
from kubeforge.fetch.layout import check_locked_source, has_marker, label, read_marker, source_dir, write_marker
from kubeforge.fetch.mirror import stage_from_mirror
from kubeforge.fetch.report import FetchReport, Origin, SourceFetch
from kubeforge.fetch.stage import install, work_area
from kubeforge.fetch.verify import Progress, verify_cached
from kubeforge.release.model import Lock, LockedSource

GITHUB_URL = "https://codeload.github.com"


def fetch_release(
    lock: Lock,
    *,
    cache: Path,
    mirror: Path | None,
    github_url: str = GITHUB_URL,
    progress: Progress | None = None,
    force: bool = False,
    timeout: float = 60.0,
) -> FetchReport:
    """Put every source of `lock` into `cache`, verified file by file against the lock.

    A source already cached (its folder has a marker) is only re-hashed, unless `force`, which fetches
    it again and replaces the folder. Otherwise it is copied from `mirror` when given, else downloaded
    from `{github_url}/{repo}/tar.gz/{commit}`. `progress(stage, done, total)` is called as work is
    done (total 0: unknown). Raises IntegrityError on content that does not match the lock, BadInput on
    a mirror lacking a source, FetchError when a download fails.
    """
    if mirror is not None and not mirror.is_dir():
        raise BadInput(f"mirror folder {mirror} does not exist", field="mirror")
    for key, src in lock.sources.items():
        check_locked_source(key, src)
    sources = [
        _fetch_source(
            key,
            src,
            release=lock.release,
            cache=cache,
            mirror=mirror,
            github_url=github_url,
            progress=progress,
            force=force,
            timeout=timeout,
        )
        for key, src in lock.sources.items()
    ]
    return FetchReport(release=lock.release, cache=str(cache), sources=sources)


def _fetch_source(
    key: str,
    src: LockedSource,
    *,
    release: str,
    cache: Path,
    mirror: Path | None,
    github_url: str,
    progress: Progress | None,
    force: bool,
    timeout: float,
) -> SourceFetch:
    start = time.monotonic()
    final = source_dir(cache, src.tree)
    origin: Origin
    if has_marker(final) and not force:
        hint = f"delete {final} or run `kubeforge fetch --release {release} --force`"
        marker = read_marker(final)
        if marker is None or marker.get("tree") != src.tree:
            raise IntegrityError(f"{label(key, src)}: the marker in {final} is not this source's; {hint}")
        _, size = verify_cached(final, key=key, src=src, hint=hint, progress=progress)
        write_marker(final, src)  # fully verified: the render's cheap check trusts this fingerprint
        origin = "cache"
    else:
        with work_area(cache, key) as work:
            staging = work / "tree"
            staging.mkdir()
            if mirror is not None:
                size = stage_from_mirror(mirror, staging, key=key, src=src, progress=progress)
                origin = "mirror"
            else:
                url = archive_url(github_url, src.repo, src.commit)
                archive = work / "archive.tar.gz"
                download(url, archive, timeout=timeout, label=key, progress=progress)
                size = stage_from_archive(archive, url, staging, key=key, src=src, progress=progress)
                origin = "github"
            write_marker(staging, src)  # last: a folder with a marker is complete and verified
            install(staging, final, work, replace=force)
    return SourceFetch(
        key=key,
        repo=src.repo,
        tag=src.tag,
        commit=src.commit,
        tree=src.tree,
        files=len(src.files),
        bytes=size,
        origin=origin,
        seconds=round(time.monotonic() - start, 3),
        path=str(final),
    )
