"""One render at a time per output folder: an exclusive flock held from before the build to after the swap."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kubeforge.errors import BadInput

_POLL_S = 0.1


@contextmanager
def out_lock(out: Path, cache: Path, wait: float = 0) -> Iterator[None]:
    """Hold the lock of `out` (a file under <cache>/locks/, never beside the user's folder): refuse at once
    when another render holds it, or after `wait` seconds of trying."""
    resolved = out.resolve()
    folder = cache / "locks"
    path = folder / (hashlib.sha256(str(resolved).encode()).hexdigest()[:32] + ".lock")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise BadInput(f"cannot take the lock of {out} in {folder}: {exc.strerror or exc}", field="--out") from exc
    try:
        _take(fd, out, wait)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; the file stays, empty of meaning, for the next render


def _take(fd: int, out: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError as exc:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                waited = f"; waited {wait:g} s" if wait > 0 else ""
                raise BadInput(
                    f"{out} is being written by another kubeforge render (pid {holder}){waited}: "
                    "run again when it ends, or pass --wait SECONDS",
                    field="--out",
                ) from exc
        time.sleep(min(_POLL_S, max(0.0, deadline - time.monotonic())))  # polled: a signal still ends the wait
