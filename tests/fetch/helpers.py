"""Helpers for fetch tests: sub-locks, a mirror of our own, codeload-like archives and routes."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kubeforge.release.model import Lock


def only(lock: Lock, *keys: str) -> Lock:
    """The same lock with only some sources: keeps tests that need one small source fast."""
    return lock.model_copy(update={"sources": {k: lock.sources[k] for k in keys}})


def copy_locked(lock: Lock, key: str, upstream: Path, mirror: Path) -> Path:
    """Copy one source's locked files into a mirror folder of our own; return the source's folder there."""
    src = lock.sources[key]
    root = mirror / src.repo / src.tag
    for path in src.files:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(upstream / src.repo / src.tag / path, root / path)
    return root


def assert_no_staging_left(cache: Path) -> None:
    tmp = cache / "tmp"
    assert not tmp.exists() or not any(tmp.iterdir()), sorted(p.name for p in tmp.iterdir())


def make_archive(
    root: Path, top: str, *, replace: Mapping[str, bytes] = {}, extra: Callable[[tarfile.TarFile], None] | None = None
) -> bytes:
    """A tar.gz of `root` under one top folder, like codeload's, with some files' content replaced."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        tar.add(root, arcname=top, recursive=False)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            base = Path(dirpath)
            for name in [*dirnames, *sorted(filenames)]:
                rel = (base / name).relative_to(root).as_posix()
                if rel in replace:
                    info = tarfile.TarInfo(f"{top}/{rel}")
                    info.size = len(replace[rel])
                    info.mode = 0o644
                    tar.addfile(info, io.BytesIO(replace[rel]))
                else:
                    tar.add(base / name, arcname=f"{top}/{rel}", recursive=False)
        if extra:
            extra(tar)
    return buf.getvalue()


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    cut: int | None = None  # send only this many bytes of the body
    length: bool = True  # send a Content-Length of the whole body


@dataclass
class Codeload:
    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
