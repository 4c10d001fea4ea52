"""What the CrossGuard tests share: a pack module loaded by path and the options of a mocked registration."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"


def load_policy_module(file: str) -> ModuleType:
    """policy/FILE by path, as policy/__main__.py loads it: tests/policy owns the name `policy` here."""
    spec = importlib.util.spec_from_file_location(f"kubeforge_policy_{Path(file).stem}", POLICY_DIR / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def policy_options(parent: Any) -> PolicyResourceOptions:
    """The options a policy sees for a resource registered under `parent` (nothing else set)."""
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)
