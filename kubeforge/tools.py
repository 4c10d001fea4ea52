"""External tools: find them, read their versions, say what each is for."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from functools import lru_cache

from kubeforge.errors import BadInput


@dataclass(frozen=True)
class Tool:
    name: str
    needed_for: str
    found: bool
    path: str | None
    version: str | None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


# name -> (version command, regex for the version, what kubeforge needs it for)
TOOLS: dict[str, tuple[list[str], str, str]] = {
    "kubectl": (
        ["version", "--client"],
        r"Client Version: (v?[\w.+-]+)",
        "render (built-in kustomize), apply, kind-up",
    ),
    "kustomize": (["version"], r"(v?\d+\.\d+\.\d+)", "render (preferred over kubectl's built-in)"),
    "pulumi": (["version"], r"(v?\d+\.\d+\.\d+)", "pulumi up / preview with the policy pack"),
    "kind": (["version"], r"kind (v?\d+\.\d+\.\d+)", "laptop clusters (make up)"),
    "docker": (["--version"], r"version (\d+\.\d+\.\d+)", "kind node containers (or podman)"),
    "podman": (["--version"], r"version (\d+\.\d+\.\d+)", "kind node containers; role tests"),
    "ansible-playbook": (["--version"], r"core (\d+\.\d+\.\d+)", "host roles and playbooks"),
}


def probe(name: str) -> Tool:
    args, pattern, needed = TOOLS[name]
    path = shutil.which(name)
    version = None
    if path:
        try:
            out = subprocess.run([path, *args], capture_output=True, text=True, timeout=20, check=False)
            m = re.search(pattern, out.stdout + out.stderr)
            version = m.group(1) if m else "unknown"
        except (OSError, subprocess.TimeoutExpired):
            version = "unknown"
    return Tool(name, needed, path is not None, path, version)


@dataclass(frozen=True)
class Kustomize:
    """How render runs kustomize: a kustomize binary, or `kubectl kustomize`."""

    command: tuple[str, ...]
    version: str
    source: str

    def build_args(self, path: str) -> list[str]:
        return [*self.command, path]


@lru_cache(maxsize=1)
def find_kustomize() -> Kustomize:
    """KUBEFORGE_KUSTOMIZE names a binary; else kustomize on PATH; else kubectl's built-in."""
    explicit = os.environ.get("KUBEFORGE_KUSTOMIZE")
    binary = explicit or shutil.which("kustomize")
    if binary:
        out = subprocess.run([binary, "version"], capture_output=True, text=True, check=False)
        m = re.search(r"v?(\d+\.\d+\.\d+)", out.stdout + out.stderr)
        return Kustomize((binary, "build"), f"v{m.group(1)}" if m else "unknown", "kustomize binary")
    kubectl = shutil.which("kubectl")
    if kubectl:
        out = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True, check=False)
        m = re.search(r"Kustomize Version: (v?[\w.]+)", out.stdout)
        return Kustomize((kubectl, "kustomize"), m.group(1) if m else "unknown", "kubectl built-in")
    raise BadInput("neither kustomize nor kubectl is on PATH: install kubectl >= 1.27 (see `kubeforge doctor`)")
