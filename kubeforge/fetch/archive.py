"""Take a source's locked files out of a downloaded tar.gz, verifying each; nothing else is written."""

from __future__ import annotations

import tarfile
import zlib
from pathlib import Path

from kubeforge.errors import IntegrityError
from kubeforge.fetch.layout import label
from kubeforge.fetch.verify import Progress, missing, write_verified
from kubeforge.release.model import LockedSource


def stage_from_archive(
    archive: Path, url: str, staging: Path, *, key: str, src: LockedSource, progress: Progress | None = None
) -> int:
    """Write the locked files found in `archive` (under its single top folder) into `staging`.

    Member paths are never used to write: a member is only read when its name, less the top folder,
    is a path of the lock (already checked to be plain and relative), and it must pass tarfile's
    `data` filter. Return the bytes written.
    """
    wanted = src.files
    seen: set[str] = set()
    top: str | None = None
    size = 0
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                head, _, rest = name.partition("/")
                if top is None:
                    top = head
                elif head != top:
                    raise IntegrityError(f"archive {url} has more than one top folder ({top}/, {head}/)")
                if rest not in wanted:
                    continue
                if rest in seen:
                    raise IntegrityError(f"{label(key, src)}: {rest} appears twice in the archive {url}")
                seen.add(rest)
                size += _take(tar, member, rest, staging, url=url, key=key, src=src)
                if progress:
                    progress(f"{key}: extracting", len(seen), len(wanted))
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise IntegrityError(f"archive {url} is truncated or corrupt: {exc}") from exc
    absent = sorted(set(wanted) - seen)
    if absent:
        raise missing(key, src, absent, f"the archive {url}")
    return size


def _take(
    tar: tarfile.TarFile, member: tarfile.TarInfo, path: str, staging: Path, *, url: str, key: str, src: LockedSource
) -> int:
    where = f"{label(key, src)}: {path} in the archive {url}"
    try:
        member = tarfile.data_filter(member, str(staging))
    except tarfile.FilterError as exc:
        raise IntegrityError(f"{where} is unsafe: {exc}") from exc
    if not (member.isreg() or member.issym() or member.islnk()):
        raise IntegrityError(f"{where} is not a regular file")
    try:
        reader = tar.extractfile(member)  # a link is read through to its target inside the archive
    except KeyError as exc:
        raise IntegrityError(f"{where} links to {member.linkname!r}, which the archive lacks") from exc
    if reader is None:
        raise IntegrityError(f"{where} is not a regular file")
    with reader:
        return write_verified(reader, staging / path, src.files[path], key=key, src=src, path=path, origin="archive")
