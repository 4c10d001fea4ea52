"""Run `kubeforge ARGS...` and signal it at one exact point: `python signal_at.py SIGNAL CALL PREFIX ARGS...`.

CALL is mkdtemp, rename or rmtree; the signal is sent to this process the moment that call has made (mkdtemp),
renamed to (rename) or is about to remove (rmtree) a folder whose name starts with PREFIX. Timing a real signal
by sleeping cannot hit a window a few instructions wide; this hits it every time, through the real CLI."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from typing import Any

sig, call, prefix, *args = sys.argv[1:]
fired = False


def _fire(path: object) -> None:
    global fired
    if not fired and os.path.basename(str(path)).startswith(prefix):
        fired = True
        os.kill(os.getpid(), getattr(signal, sig))  # its handler runs in this thread, before the next line


_mkdtemp, _rename, _rmtree = tempfile.mkdtemp, os.rename, shutil.rmtree


def mkdtemp(*a: Any, **kw: Any) -> str:
    path = _mkdtemp(*a, **kw)
    if call == "mkdtemp":
        _fire(path)
    return path


def rename(src: Any, dst: Any, **kw: Any) -> None:
    _rename(src, dst, **kw)
    if call == "rename":
        _fire(dst)


def rmtree(path: Any, *a: Any, **kw: Any) -> None:
    if call == "rmtree":
        _fire(path)
    _rmtree(path, *a, **kw)


tempfile.mkdtemp, os.rename, shutil.rmtree = mkdtemp, rename, rmtree  # type: ignore[assignment]

from kubeforge.cli.main import main  # noqa: E402 (imported after the patches, as a reminder that it calls them)

sys.argv = ["kubeforge", *args]
main()
