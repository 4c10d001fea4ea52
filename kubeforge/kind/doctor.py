"""What a laptop needs for `make up`: a container engine, kind, kubectl, pulumi, and inotify limits.

The decision logic is pure (tests drive it with fake lookups); scripts/kind-up applies the sysctls.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Upstream's figures: below them kubelet and the controllers run out of inotify instances/watches.
INOTIFY_MINIMUMS: dict[str, int] = {
    "fs.inotify.max_user_instances": 2280,
    "fs.inotify.max_user_watches": 1255360,
}
REQUIRED_TOOLS = ("kind", "kubectl", "pulumi")
CONTAINER_ENGINES = ("docker", "podman")  # docker first: kind's default provider


@dataclass(frozen=True)
class SysctlChange:
    key: str
    current: int | None
    wanted: int

    @property
    def assignment(self) -> str:
        return f"{self.key}={self.wanted}"


@dataclass
class LaptopReport:
    engine: str | None
    missing: list[str] = field(default_factory=list)
    sysctl: list[SysctlChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.engine is not None and not self.missing

    def problems(self) -> list[str]:
        out = []
        if self.engine is None:
            out.append("no container engine: install docker or podman (kind runs its node as a container)")
        out.extend(f"{tool} is not on PATH" for tool in self.missing)
        return out


def read_sysctl(key: str, proc: Path = Path("/proc/sys")) -> int | None:
    """Current value of a sysctl, or None where it cannot be read (not Linux, or hidden)."""
    try:
        return int((proc / key.replace(".", "/")).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def sysctl_changes(current: Mapping[str, int | None]) -> list[SysctlChange]:
    """The inotify sysctls to raise: only those known to be below the minimum (never lowered)."""
    changes = []
    for key, wanted in INOTIFY_MINIMUMS.items():
        value = current.get(key)
        if value is not None and value < wanted:
            changes.append(SysctlChange(key, value, wanted))
    return changes


def laptop_report(
    which: Callable[[str], str | None] = shutil.which,
    sysctl: Callable[[str], int | None] = read_sysctl,
    engine: str | None = None,
) -> LaptopReport:
    """engine: the one asked for (KIND_EXPERIMENTAL_PROVIDER), else the first of docker/podman found."""
    candidates = (engine,) if engine else CONTAINER_ENGINES
    found = next((name for name in candidates if which(name)), None)
    missing = [tool for tool in REQUIRED_TOOLS if not which(tool)]
    return LaptopReport(found, missing, sysctl_changes({key: sysctl(key) for key in INOTIFY_MINIMUMS}))
