"""Every role documents itself: README, argument_specs defaults equal to defaults/main.yml, internal names `__`."""

from __future__ import annotations

import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())
# Facts a role sets for other roles and playbooks, documented under "Outputs" in its README.
PUBLIC = {
    "containerd_running_version",
    "containerd_target_version",
    "kubernetes_node_all_labels",
    "nvidia_driver_gpu_facts",
    "nvidia_driver_node_labels",
    "nvidia_driver_install_needed",
    "nvidia_driver_reboot_required",
}


def _load(role: str, path: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / path).read_text()) or {}


def _norm(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


@pytest.mark.parametrize("role", ROLES)
def test_every_option_has_the_default_of_defaults_main(role):
    defaults = _load(role, "defaults/main.yml")
    options = _load(role, "meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(options) == set(defaults)
    for name, option in options.items():
        assert "default" in option, name
        assert _norm(option["default"]) == _norm(defaults[name]), name
        assert option.get("description"), name
        assert not option.get("required"), f"{name}: required options cannot have a default"


@pytest.mark.parametrize("role", ROLES)
def test_readme_documents_every_variable_and_an_example(role):
    readme = (ROOT / "roles" / role / "README.md").read_text()
    for name in _load(role, "defaults/main.yml"):
        assert f"`{name}`" in readme, name
    for section in ("## Supported systems", "## Variables", "## Example play", "## Tags"):
        assert section in readme


@pytest.mark.parametrize("role", ROLES)
def test_internal_variables_are_prefixed(role):
    names: set[str] = set()
    for tasks in (ROOT / "roles" / role / "tasks").glob("*.yml"):
        for task in _walk(yaml.safe_load(tasks.read_text()) or []):
            if "register" in task:
                names.add(task["register"])
            names.update((task.get("ansible.builtin.set_fact") or {}).keys())
    assert {n for n in names if not n.startswith("__") and n not in PUBLIC} == set()


def _walk(tasks: list[dict]):
    for task in tasks:
        yield task
        for key in ("block", "rescue", "always"):
            yield from _walk(task.get(key) or [])


@pytest.mark.parametrize("role", ROLES)
def test_every_task_is_tagged(role):
    for tasks in (ROOT / "roles" / role / "tasks").glob("*.yml"):
        for task in yaml.safe_load(tasks.read_text()) or []:
            assert role in (task.get("tags") or []), f"{tasks.name}: {task['name']}"


def test_public_outputs_are_documented():
    text = "".join((ROOT / "roles" / r / "README.md").read_text() for r in ROLES)
    for name in PUBLIC:
        assert re.search(rf"`{name}`", text), name
