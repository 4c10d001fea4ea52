"""stacks.automation, the runner without a language host: its CLI's bad input and its offline parts.

Its real runs (up, preview, refresh, destroy against a control plane) are tests/e2e/test_pulumi_up.py.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import pytest

from stacks import automation


def _exit(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as e:
        automation.parse(argv)
    return int(str(e.value.code)), capsys.readouterr().err.strip()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["up", "--stack", "s"], "up changes the stack: pass --yes"),
        (["destroy", "--stack", "s"], "destroy changes the stack: pass --yes"),
        (["preview", "--stack", "s", "--work-dir", "/nonexistent"], "--work-dir /nonexistent: expected a folder"),
        (["preview", "--stack", "s", "--pulumi-bin", "/"], "--pulumi-bin /: expected a folder holding the pulumi"),
        (["refresh", "--stack", "s", "--yes", "--expect-no-changes"], "--expect-no-changes: only for up and preview"),
        (["up", "--stack", "s", "--yes", "--clear-pending-creates"], "--clear-pending-creates: only for refresh"),
        (["preview", "--stack", "s", "--parallel", "0"], "--parallel 0: expected a positive number"),
        (["refresh", "--stack", "s", "--yes", "--policy-pack", "policy"], "--policy-pack: only for up and preview"),
        (["preview", "--stack", "s", "--policy-pack", "/"], "--policy-pack /: expected a folder holding PulumiPolicy"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _exit(argv, capsys)
    assert code == automation.EXIT_BAD_INPUT
    assert err.startswith("stacks.automation: " + expected) and "\n" not in err


def test_defaults_are_the_repo_project_and_the_kind_up_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.setenv("KUBEFORGE_STATE", str(tmp_path))
    o = automation.parse(["preview", "--stack", "kind"])
    assert o.work_dir == automation.ROOT and (o.work_dir / "Pulumi.yaml").is_file()
    assert o.backend == f"file://{tmp_path / 'pulumi'}"


def test_plugins_are_installed_at_the_versions_the_python_sdks_request() -> None:
    assert automation.plugin_version("kubernetes") == version("pulumi_kubernetes")
    assert automation.plugin_version("random") == version("pulumi_random")


def test_environment_never_fetches_plugins_and_keeps_one_private_passphrase(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBEFORGE_STATE", str(tmp_path / "state"))
    for var in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(var, raising=False)
    o = automation.parse(["preview", "--stack", "kind"])
    env = automation.environment(o)
    assert env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] == "true"
    passphrase = Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"])
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    first = passphrase.read_text()
    assert automation.environment(o)["PULUMI_CONFIG_PASSPHRASE_FILE"] == str(passphrase)
    assert passphrase.read_text() == first  # generated once, then reused
    assert (tmp_path / "state" / "pulumi").is_dir()


def test_pulumi_root_for_a_bin_folder_and_any_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the temporary root stays in tmp_path
    (tmp_path / "bin").mkdir()
    assert automation._pulumi_root(tmp_path / "bin") == str(tmp_path)
    other = tmp_path / "tools"
    other.mkdir()
    root = Path(automation._pulumi_root(other))
    assert (root / "bin").resolve() == other.resolve()


def test_random_stand_in_answers_the_version_the_sdk_requests() -> None:
    # e2e/tools/pulumi/random (the harness's simulated pulumi-random) reports this version to the engine.
    main_go = (automation.ROOT / "e2e" / "tools" / "pulumi" / "random" / "main.go").read_text()
    assert f'var version = "{version("pulumi_random")}"' in main_go


def test_policy_launcher_serves_the_pack_from_its_folder(tmp_path: Path) -> None:
    # The CLI starts an executable pack path as the analyzer with the engine's address (no language host).
    pack = tmp_path / "pack dir"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text("import os, sys\nprint(os.getcwd(), sys.executable, sys.argv[1:])\n")
    launchers = tmp_path / "launchers"
    launchers.mkdir()
    launcher = automation.policy_launcher(pack, launchers)
    assert os.access(launcher, os.X_OK) and launcher.parent == launchers
    out = subprocess.run([str(launcher), "127.0.0.1:1234"], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == f"{pack} {sys.executable} []"
    assert automation.policy_launcher(pack, launchers) != launcher  # one per pack
