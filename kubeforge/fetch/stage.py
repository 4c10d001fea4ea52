"""Staging folders under <cache>/tmp/ and the one rename that puts a verified source into the cache."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kubeforge.fetch.layout import has_marker, tmp_root


@contextmanager
def work_area(cache: Path, key: str) -> Iterator[Path]:
    """A fresh folder under <cache>/tmp/, removed on the way out whatever happens."""
    tmp = tmp_root(cache)
    tmp.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=re.sub(r"[^A-Za-z0-9_.-]", "_", key) + "-", dir=tmp))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            tmp.rmdir()  # only when empty: another fetch may be staging beside us


def install(staging: Path, final: Path, work: Path, *, replace: bool) -> None:
    """Rename the verified `staging` folder to `final`.

    A `final` folder that lacks its marker is debris and is replaced; one with a marker is replaced only
    when `replace` (a forced refetch). The old folder is moved into `work`, which the caller removes.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() or final.is_symlink():
        if has_marker(final) and not replace:
            return  # a concurrent fetch put the same content (same tree digest) there first
        os.rename(final, work / "replaced")
    try:
        os.rename(staging, final)
    except OSError:
        if has_marker(final):
            return  # lost a race with a concurrent fetch of the same content
        raise
