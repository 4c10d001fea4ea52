"""Entry point of the policy pack (PulumiPolicy.yaml). PolicyPack() serves the analyzer and blocks."""

import importlib.util
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # the repository root: `kubeforge`

from pulumi_policy import PolicyPack  # noqa: E402


def _load(name: str, file: str) -> object:
    # Loaded by path under its own name: `policy` is too common a top-level name to import by.
    spec = importlib.util.spec_from_file_location(name, _HERE / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_pack = _load("kubeforge_policy_pack", "pack.py")
_clusters = _load("kubeforge_policy_clusters", "clusters.py")  # EKS, GKE and AKS cluster rules
_data = _load("kubeforge_policy_data", "data.py")  # managed databases and buckets

_policies = [*_pack.policies(), *_clusters.policies(), *_data.policies()]  # type: ignore[attr-defined]
PolicyPack(name="kubeforge", policies=_policies)
