"""Folders a killed render left behind (`kubeforge-ws-PID-*` workspaces, `.OUT.tmp-PID-*` staging): removed later.

Each name carries the pid that made it: one whose process is gone, or older than a day (a reused pid), is stale.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WORKSPACE_PREFIX = "kubeforge-ws-"
MAX_AGE_S = 24 * 3600


def tagged(prefix: str) -> str:
    """A temporary folder's prefix naming this process: `prefix` + pid + `-`."""
    return f"{prefix}{os.getpid()}-"


def remove_stale(folder: Path, prefix: str) -> list[Path]:
    """Remove our folders in `folder` named `prefix` PID `-...` whose process is gone or that are too old."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)-")
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry.name)
        if not m:
            continue
        try:
            st = entry.lstat()
        except OSError:
            continue
        if st.st_uid != os.getuid() or not entry.is_dir() or entry.is_symlink():
            continue
        if _alive(int(m.group(1))) and time.time() - st.st_mtime < MAX_AGE_S:
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    except OverflowError:
        return False
    return True


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGTERM/SIGHUP/SIGINT held back while a temporary folder is made and registered for removal."""
    held = {signal.SIGTERM, signal.SIGHUP, signal.SIGINT}
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a held signal is delivered here
