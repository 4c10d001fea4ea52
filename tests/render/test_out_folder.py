"""--out is replaced only when it is ours (absent, empty, or a marked previous render); never a user's files."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kubeforge.errors import BadInput
from kubeforge.render.output import MARKER, check_writable, write_render
from kubeforge.render.pipeline import Render


def test_a_user_folder_is_refused_and_kept(
    tmp_path: Path, kind_render: Render, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEFORGE_CACHE", str(tmp_path / "c"))
    out = tmp_path / "checkout"
    (out / "src").mkdir(parents=True)
    (out / "src" / "main.py").write_text("print('mine')\n")
    with pytest.raises(BadInput, match=r"refusing to replace .*checkout: it is not empty and not a previous kubeforge"):
        write_render(kind_render, out)
    assert (out / "src" / "main.py").read_text() == "print('mine')\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkout"]


def test_a_previous_render_is_replaced_but_not_a_file_added_to_it(
    tmp_path: Path, kind_render: Render, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEFORGE_CACHE", str(tmp_path / "c"))
    out = tmp_path / "out"
    write_render(kind_render, out)
    assert (out / MARKER).is_file()
    write_render(kind_render, out)  # a marked render with only its own files: replaced
    (out / "notes.txt").write_text("mine\n")
    with pytest.raises(BadInput, match=r"notes.txt was not written by kubeforge"):
        write_render(kind_render, out)
    assert (out / "notes.txt").read_text() == "mine\n"


def test_an_empty_folder_is_used(tmp_path: Path, kind_render: Render, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEFORGE_CACHE", str(tmp_path / "c"))
    (tmp_path / "out").mkdir()
    write_render(kind_render, tmp_path / "out")
    assert (tmp_path / "out" / "plan.json").is_file()


def test_root_and_a_file_say_why(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"^--out: cannot write to /: the file-system root is never a render folder$"):
        check_writable(Path("/"))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BadInput, match=r"cannot write to .*/file: it is a file, not a folder$"):
        check_writable(blocker)
    with pytest.raises(BadInput, match=r"cannot write to .*/file/sub: .*/file: Not a directory$"):
        check_writable(blocker / "sub")


@contextmanager
def unprivileged() -> Iterator[None]:
    """Root ignores permission bits: act as nobody for the check (effective uid only), then back."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_a_read_only_folder_says_permission_denied() -> None:
    # Under /tmp, not tmp_path: nobody must be able to reach the folder for the check to be about it.
    base = Path(tempfile.mkdtemp(prefix="kubeforge-ro-test-"))
    try:
        base.chmod(0o755)
        ro = base / "ro"
        ro.mkdir()
        ro.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        with unprivileged(), pytest.raises(BadInput, match=r"cannot write to .*/ro/out: .*/ro: Permission denied$"):
            check_writable(ro / "out")
    finally:
        (base / "ro").chmod(0o755)
        (base / "ro").rmdir()
        base.rmdir()
