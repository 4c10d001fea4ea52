"""One render at a time per output folder: an exclusive flock held from before the build to after the swap."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kubeforge.errors import BadInput


@contextmanager
def out_lock(out: Path, cache: Path) -> Iterator[None]:
    """Hold the lock of `out` (a file under <cache>/locks/, never beside the user's folder) or refuse at once."""
    resolved = out.resolve()
    folder = cache / "locks"
    path = folder / (hashlib.sha256(str(resolved).encode()).hexdigest()[:32] + ".lock")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise BadInput(f"cannot take the lock of {out} in {folder}: {exc.strerror or exc}", field="--out") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise BadInput(
                f"{out} is being written by another kubeforge render (pid {holder}): run again when it ends",
                field="--out",
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; the file stays, empty of meaning, for the next render
