"""Entry point of the policy pack (PulumiPolicy.yaml). PolicyPack() serves the analyzer and blocks."""

import importlib.util
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))  # the repository root: `kubeforge`

from pulumi_policy import PolicyPack  # noqa: E402

# Loaded by path under its own name: `policy` is too common a top-level name to import by.
_spec = importlib.util.spec_from_file_location("kubeforge_policy_pack", _HERE / "pack.py")
assert _spec is not None and _spec.loader is not None
_pack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pack)

PolicyPack(name="kubeforge", policies=_pack.policies())
