"""Folders a killed render left behind (`kubeforge-ws-PID-*` workspaces, `.OUT.tmp-PID-*` staging): removed later.

Each name carries the pid that made it: one whose process is gone, or older than a day (a reused pid), is stale.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

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


_HELD = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
_depth = 0
_pending: list[int] = []
_saved: dict[int, signal.Handlers | Callable[[int, FrameType | None], object] | int | None] = {}


def _record(signum: int, _frame: FrameType | None) -> None:
    _pending.append(signum)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGTERM/SIGHUP/SIGINT held back while a temporary folder is made and registered, swapped in, or removed;
    a held signal is delivered, to the handler it would have reached, when the outermost such block ends.

    Python runs signal handlers in the main thread whichever thread the kernel picked, so the handlers
    are swapped rather than the thread's signal mask (a mask leaves the signal to another thread)."""
    global _depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _depth == 0:
        _pending.clear()
        for sig in _HELD:
            _saved[sig] = signal.signal(sig, _record)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            for held, handler in _saved.items():
                signal.signal(held, signal.SIG_DFL if handler is None else handler)
            _saved.clear()
            pending = list(dict.fromkeys(_pending))
            _pending.clear()
            for signum in pending:
                signal.raise_signal(signum)  # its own handler runs now: SystemExit/KeyboardInterrupt unwinds from here


def make_temporary(prefix: str, parent: Path | None, stack: ExitStack) -> Path:
    """A folder named `prefix`PID-..., removed when `stack` closes; no signal can leave it behind."""
    with signals_deferred():
        folder = Path(tempfile.mkdtemp(prefix=tagged(prefix), dir=parent))
        stack.callback(remove_quietly, folder)
    return folder


def remove_quietly(folder: Path) -> None:
    """Remove a folder of ours in full: a signal waits until it is gone."""
    with signals_deferred():
        shutil.rmtree(folder, ignore_errors=True)
