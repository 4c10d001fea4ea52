"""Shared by the benchmarks: upstream's example/ built offline, process-tree memory sampling, a fetched cache."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kubeforge.fetch import fetch_release
from kubeforge.k8s import KObj
from kubeforge.paths import project_mirror
from kubeforge.release.lockgen import mirror_roots
from kubeforge.release.store import load_definition, load_lock
from kubeforge.render.workspace import materialize
from kubeforge.render.yamlio import load_stream

ROOT = Path(__file__).resolve().parent.parent


def mirror() -> Path:
    return project_mirror()


def ensure_cache(release: str, cache: Path) -> None:
    fetch_release(load_lock(release), cache=cache, mirror=mirror())


def upstream_example_workspace(release: str, dest: Path) -> Path:
    """The whole upstream trees laid out like a render workspace: remote bases served locally, the
    pipelines-profile-controller (its sync.py is not data) dropped. Returns the example/ folder."""
    lock = load_lock(release)
    roots = mirror_roots(load_definition(release), mirror())
    files = set()
    for key, root in roots.items():
        for path in root.rglob("*"):
            if path.is_file():
                files.add(f"{key}:{path.relative_to(root).as_posix()}")
    materialize(lock, roots, dest, files)
    return dest / "manifests" / "example"


@dataclass
class Run:
    seconds: float
    peak_mib: float
    stdout: str


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (from /proc)."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for task in os.listdir(f"/proc/{p}/task"):  # children of worker threads are listed per thread
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time and peak resident memory of the whole process tree, sampled every 10 ms."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with exit {proc.returncode}")
    return Run(elapsed, peak / 1024, out)


def objects_of(text: str) -> list[KObj]:
    return load_stream(text)
