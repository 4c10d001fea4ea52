"""A signal at any point of a render leaves no `kubeforge-ws-*` workspace, no `.OUT.tmp-*` staging and no
`.OUT.old-*`, and never the user's previous render half swapped: the real CLI in a subprocess, signalled at the
exact instant each folder is made, swapped or removed (signal_at.py), and at a random instant too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import REPO

DRIVER = Path(__file__).with_name("signal_at.py")
KUBEFORGE = str(Path(sys.executable).parent / "kubeforge")
EXIT = {"SIGTERM": 128 + signal.SIGTERM, "SIGINT": 130}  # SIGINT: KeyboardInterrupt, the CLI's abort code
# Only the core components: a cold build (one that lays out a workspace) in a few seconds.
SMALL = (
    "components: {"
    + ", ".join(
        f"{c}: null" for c in ("notebooks", "pipelines", "katib", "knative", "kserve", "model-registry", "volumes")
    )
    + "}\n"
)


def _env(tmp_path: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBEFORGE_", "XDG_"))}
    (tmp_path / "tmpdir").mkdir(exist_ok=True)
    env.update(
        KUBEFORGE_CACHE=str(cache),
        KUBEFORGE_STATE=str(tmp_path / "state"),
        TMPDIR=str(tmp_path / "tmpdir"),
        PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
    )
    return env


def _render_args(tmp_path: Path) -> list[str]:
    small = tmp_path / "small.yaml"
    small.write_text(SMALL)
    return ["render", "-f", str(small), "--out", str(tmp_path / "work" / "out")]


def _leftovers(tmp_path: Path) -> list[str]:
    return sorted(
        [p.name for p in (tmp_path / "tmpdir").iterdir()]
        + [p.name for p in (tmp_path / "work").iterdir() if p.name.startswith(".")]
    )


@pytest.fixture
def cold_cache(tmp_path: Path, upstream: Path) -> Path:
    """Sources fetched, nothing built: the render lays out a workspace."""
    cache = tmp_path / "cache"
    from kubeforge.fetch import fetch_release
    from kubeforge.release.store import load_lock

    fetch_release(load_lock("26.03"), cache=cache, mirror=upstream)
    return cache


def _interruptible() -> None:
    # A non-interactive shell starts background jobs with SIGINT ignored; the render must see Ctrl-C as a user's.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
@pytest.mark.parametrize(
    ("call", "prefix"),
    [
        ("mkdtemp", "kubeforge-ws-"),  # the workspace exists, not yet registered for removal
        ("rmtree", "kubeforge-ws-"),  # the workspace being removed after the builds
        ("mkdtemp", ".out.tmp-"),  # the staging folder exists, not yet registered
    ],
)
def test_a_signal_at_each_folder_leaves_nothing(
    tmp_path: Path, cold_cache: Path, sig: str, call: str, prefix: str
) -> None:
    (tmp_path / "work").mkdir()
    proc = subprocess.run(
        [sys.executable, str(DRIVER), sig, call, prefix, *_render_args(tmp_path)],
        env=_env(tmp_path, cold_cache),
        preexec_fn=_interruptible,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == EXIT[sig], proc.stderr[-2000:]
    assert _leftovers(tmp_path) == []
    assert not (tmp_path / "work" / "out").exists()


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_signal_between_the_swaps_renames_keeps_the_previous_render(
    tmp_path: Path, cold_cache: Path, sig: str
) -> None:
    (tmp_path / "work").mkdir()
    env, args = _env(tmp_path, cold_cache), _render_args(tmp_path)
    first = subprocess.run([KUBEFORGE, *args], env=env, capture_output=True, check=False)
    assert first.returncode == 0, first.stderr[-2000:]
    before = {p.name: p.read_bytes() for p in (tmp_path / "work" / "out").iterdir()}
    proc = subprocess.run(
        [sys.executable, str(DRIVER), sig, "rename", ".out.old-", *args],
        env=env,
        preexec_fn=_interruptible,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == EXIT[sig], proc.stderr[-2000:]
    assert _leftovers(tmp_path) == []
    after = {p.name: p.read_bytes() for p in (tmp_path / "work" / "out").iterdir()}
    assert after == before  # the same spec: the new render, swapped in whole, is byte for byte the old one


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_at_a_random_instant_leaves_nothing(tmp_path: Path, cold_cache: Path, sig: int) -> None:
    """The real console script signalled while it renders. Before its handlers are installed (interpreter
    start) the signal kills it outright, with nothing made yet; after the render, it has succeeded."""
    (tmp_path / "work").mkdir()
    env, args = _env(tmp_path, cold_cache), _render_args(tmp_path)
    handled = 130 if sig == signal.SIGINT else 128 + sig
    codes = []
    for delay in (0.3, 1.0, 1.5, 2.0, 3.0, 4.0):
        proc = subprocess.Popen(
            [KUBEFORGE, *args], env=env, preexec_fn=_interruptible, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        proc.send_signal(sig)
        codes.append(proc.wait(timeout=300))
        assert _leftovers(tmp_path) == [], (delay, codes)
    assert set(codes) <= {0, -sig, handled}, codes
    assert handled in codes, f"no signal reached a running render: {codes}"
