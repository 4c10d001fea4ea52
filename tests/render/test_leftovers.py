"""Leftovers of a killed render are removed on the next run; two renders into one --out never overlap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import Run

from kubeforge.render.leftovers import remove_stale
from kubeforge.render.outlock import out_lock
from kubeforge.render.output import write_render
from kubeforge.render.pipeline import Render


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # reaped: no process has it now (pids are not reused this fast)


def test_stale_by_pid_and_age(tmp_path: Path) -> None:
    dead = tmp_path / f"kubeforge-ws-{dead_pid()}-abc"
    live = tmp_path / f"kubeforge-ws-{os.getpid()}-abc"
    old = tmp_path / f"kubeforge-ws-{os.getppid()}-abc"
    other = tmp_path / "kubeforge-ws-notes"
    for folder in (dead, live, old, other):
        (folder / "x").mkdir(parents=True)
    os.utime(old, (1, 1))  # a live pid, but two days old: a reused pid
    assert sorted(remove_stale(tmp_path, "kubeforge-ws-")) == sorted([dead, old])
    assert live.is_dir() and other.is_dir()


def test_write_render_removes_a_killed_renders_staging(
    tmp_path: Path, kind_render: Render, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEFORGE_CACHE", str(tmp_path / "c"))
    killed = tmp_path / f".out.tmp-{dead_pid()}-x1y2"
    (killed / "00-cert-manager.yaml").parent.mkdir()
    (killed / "00-cert-manager.yaml").write_text("half\n")
    write_render(kind_render, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_second_render_into_the_same_out_is_refused(kubeforge: Run, home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with out_lock(out, tmp_path / "private" / "cache"):
        result = kubeforge("render", "--out", out, home=home)
    assert result.rc == 2
    assert result.error_line == (
        f"error: --out: {out} is being written by another kubeforge render (pid {os.getpid()}): run again when it ends, "
        "or pass --wait SECONDS"
    )
    assert not out.exists()


def test_sigterm_mid_render_leaves_no_workspace(kubeforge: Run, upstream: Path, tmp_path: Path) -> None:
    """A real render killed with SIGTERM while kustomize runs: its workspace and staging are removed."""
    assert kubeforge("fetch", "--release", "26.03", "--mirror", upstream).rc == 0
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    private = tmp_path / "private"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBEFORGE_", "XDG_"))}
    env.update(KUBEFORGE_CACHE=str(private / "cache"), KUBEFORGE_STATE=str(private / "state"), TMPDIR=str(tmpdir))
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "kubeforge"), "render", "--out", str(tmp_path / "out")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(tmpdir.glob("kubeforge-ws-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmpdir.glob("kubeforge-ws-*")), "the render never laid out its workspace"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 128 + signal.SIGTERM
    assert list(tmpdir.iterdir()) == []
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_two_concurrent_renders_with_wait_run_one_after_the_other(upstream: Path, tmp_path: Path) -> None:
    """Two real renders into one --out: the second, given --wait, starts when the first is done; a third,
    without it, is refused while the first holds the folder."""
    from kubeforge.fetch import fetch_release
    from kubeforge.release.store import load_lock

    cache = tmp_path / "cache"  # cold (sources only): the first render builds, and holds the lock a while
    fetch_release(load_lock("26.03"), cache=cache, mirror=upstream)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBEFORGE_", "XDG_"))}
    env.update(KUBEFORGE_CACHE=str(cache), KUBEFORGE_STATE=str(tmp_path / "state"))
    out = tmp_path / "out"
    kubeforge = str(Path(sys.executable).parent / "kubeforge")

    def start(*extra: str) -> subprocess.Popen[str]:
        args = [kubeforge, "render", "--out", str(out), *extra]
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = start()
    locks = cache / "locks"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and first.poll() is None:
        held = [p.read_text().strip() for p in locks.glob("*.lock")] if locks.is_dir() else []
        if str(first.pid) in held:
            break
        time.sleep(0.05)
    assert first.poll() is None, "the first render ended before the second could start"
    second, third = start("--wait", "300"), start()
    assert third.wait(timeout=120) == 2
    assert f"is being written by another kubeforge render (pid {first.pid})" in third.communicate()[1]
    assert first.wait(timeout=300) == 0
    # Started with the third, which was refused: the second rendered only because it waited.
    assert second.wait(timeout=300) == 0, second.communicate()[1]
    assert (out / ".kubeforge-render.json").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
