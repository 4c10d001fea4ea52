"""Run the stack's program with a Pulumi CLI but without Pulumi's Python language host.

    python -m stacks.automation up|preview|refresh|destroy|cancel --stack NAME [options]

The Automation API serves the program (stacks.program.main, the same one `pulumi up` runs through
stacks/__main__.py) over the LanguageRuntime gRPC in this process and passes `--client=127.0.0.1:PORT`
to the CLI, so no `pulumi-language-python` is needed: the air-gapped way, and the e2e harness's way
(the Go module proxy does not serve the language host). Project settings come from Pulumi.yaml and the
stack's config from Pulumi.<stack>.yaml in --work-dir (or --config-file); state goes to a file backend;
plugins are never downloaded (PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION): --plugins DIR installs the
providers found there at the versions the Python SDKs request.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi.automation import PulumiCommand, Stack

ROOT = Path(__file__).resolve().parents[1]
ACTIONS = ("up", "preview", "refresh", "destroy", "cancel")
CHANGING = frozenset({"up", "refresh", "destroy", "cancel"})  # they need --yes
# Python SDK package of each provider plugin the program uses; its pulumi-plugin.json names the version.
PLUGIN_PACKAGES = {"kubernetes": "pulumi_kubernetes", "random": "pulumi_random"}
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Options:
    action: str
    stack: str
    yes: bool
    work_dir: Path
    backend: str
    pulumi_bin: Path | None
    plugins: Path | None
    config_file: Path | None
    expect_no_changes: bool
    refresh: bool
    diff: bool
    clear_pending_creates: bool
    parallel: int | None
    policy_packs: list[Path]
    policy_pack_configs: list[Path]


def state_dir() -> Path:
    """The folder scripts/kind-up keeps the local backend in, so both reach the same stacks."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(os.environ.get("KUBEFORGE_STATE") or Path(base) / "kubeforge")


def parse(argv: Sequence[str]) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m stacks.automation",
        description="Run the kubeforge stack through the Automation API (no Python language host needed).",
    )
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--stack", required=True, help="stack name (created if absent)")
    p.add_argument("--yes", action="store_true", help="required for up, refresh, destroy and cancel")
    p.add_argument("--work-dir", type=Path, default=ROOT, help="folder holding Pulumi.yaml (default: the repo)")
    p.add_argument(
        "--backend",
        default=os.environ.get("PULUMI_BACKEND_URL") or "",
        help="state backend URL (default $PULUMI_BACKEND_URL, else file://<kubeforge state>/pulumi)",
    )
    p.add_argument("--pulumi-bin", type=Path, help="folder holding the pulumi CLI (default: pulumi on PATH)")
    p.add_argument("--plugins", type=Path, help="install pulumi-resource-* from this folder before running")
    p.add_argument("--config-file", type=Path, help="stack config file instead of <work-dir>/Pulumi.<stack>.yaml")
    p.add_argument("--expect-no-changes", action="store_true", help="up/preview: fail if anything would change")
    p.add_argument("--refresh", action="store_true", help="up/preview/destroy: refresh the state first")
    p.add_argument("--diff", action="store_true", help="show a detailed diff")
    p.add_argument("--clear-pending-creates", action="store_true", help="refresh: drop creates an interrupted up left")
    p.add_argument("--parallel", type=int, help="resource operations at once (default: unbounded)")
    p.add_argument("--policy-pack", type=Path, action="append", default=[], help="up/preview: run this policy pack")
    p.add_argument("--policy-pack-config", type=Path, action="append", default=[], help="JSON config, one per pack")
    a = p.parse_args(argv)
    opts = Options(
        action=a.action,
        stack=a.stack,
        yes=a.yes,
        work_dir=a.work_dir.resolve(),
        backend=a.backend or f"file://{state_dir() / 'pulumi'}",
        pulumi_bin=a.pulumi_bin.resolve() if a.pulumi_bin else None,
        plugins=a.plugins.resolve() if a.plugins else None,
        config_file=a.config_file.resolve() if a.config_file else None,
        expect_no_changes=a.expect_no_changes,
        refresh=a.refresh,
        diff=a.diff,
        clear_pending_creates=a.clear_pending_creates,
        parallel=a.parallel,
        policy_packs=[pp.resolve() for pp in a.policy_pack],
        policy_pack_configs=[pc.resolve() for pc in a.policy_pack_config],
    )
    problem = check(opts)
    if problem:
        p.exit(EXIT_BAD_INPUT, f"stacks.automation: {problem}\n")
    return opts


def check(o: Options) -> str | None:
    """One line naming the option and what it expects, or None."""
    if o.action in CHANGING and not o.yes:
        return f"{o.action} changes the stack: pass --yes (non-interactive; run preview to see the changes first)"
    if not (o.work_dir / "Pulumi.yaml").is_file():
        return f"--work-dir {o.work_dir}: expected a folder holding Pulumi.yaml"
    if o.config_file is not None and not o.config_file.is_file():
        return f"--config-file {o.config_file}: no such file"
    if o.pulumi_bin is not None and not (o.pulumi_bin / "pulumi").is_file():
        return f"--pulumi-bin {o.pulumi_bin}: expected a folder holding the pulumi executable"
    if o.plugins is not None and not any(o.plugins.glob("pulumi-resource-*")):
        return f"--plugins {o.plugins}: expected a folder holding pulumi-resource-* executables"
    if o.expect_no_changes and o.action not in ("up", "preview"):
        return "--expect-no-changes: only for up and preview"
    if o.clear_pending_creates and o.action != "refresh":
        return "--clear-pending-creates: only for refresh"
    if o.policy_packs and o.action not in ("up", "preview"):
        return "--policy-pack: only for up and preview"
    for pack in o.policy_packs:
        if not (pack / "PulumiPolicy.yaml").is_file():
            return f"--policy-pack {pack}: expected a folder holding PulumiPolicy.yaml"
    if o.policy_pack_configs and len(o.policy_pack_configs) != len(o.policy_packs):
        return "--policy-pack-config: give one per --policy-pack, in the same order"
    if o.parallel is not None and o.parallel < 1:
        return f"--parallel {o.parallel}: expected a positive number"
    return None


def plugin_version(name: str) -> str:
    """The version of provider `name` that the installed Python SDK requests (its pulumi-plugin.json)."""
    text = resources.files(PLUGIN_PACKAGES[name]).joinpath("pulumi-plugin.json").read_text()
    return str(json.loads(text)["version"])


def environment(o: Options) -> dict[str, str]:
    env = {
        "PULUMI_BACKEND_URL": o.backend,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",  # nothing is ever fetched
    }
    if not os.environ.get("PULUMI_CONFIG_PASSPHRASE") and not os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        env["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(default_passphrase_file())
    if o.backend.startswith("file://"):
        Path(o.backend[len("file://") :]).mkdir(parents=True, exist_ok=True)
    return env


def default_passphrase_file() -> Path:
    """The passphrase scripts/kind-up generates for the same local backend (mode 0600)."""
    path = state_dir() / "pulumi-passphrase"
    if not path.is_file() or not path.stat().st_size:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24) + "\n")
    return path


def _pulumi_root(bin_dir: Path) -> str:
    """PulumiCommand wants <root>/bin/pulumi: the folder's parent, or a temporary root linking to it."""
    if bin_dir.name == "bin":
        return str(bin_dir.parent)
    root = Path(tempfile.mkdtemp(prefix="kubeforge-pulumi-"))
    (root / "bin").symlink_to(bin_dir, target_is_directory=True)
    return str(root)


def install_plugins(command: PulumiCommand, folder: Path, work_dir: Path, env: dict[str, str]) -> None:
    """`pulumi plugin install resource NAME VERSION --file BIN` at the version the Python SDK requests."""
    for exe in sorted(folder.glob("pulumi-resource-*")):
        name = exe.name[len("pulumi-resource-") :]
        if name not in PLUGIN_PACKAGES:
            continue
        version = plugin_version(name)
        _echo(f"stacks.automation: plugin {name} {version} from {exe}")
        command.run(["plugin", "install", "resource", name, version, "--file", str(exe)], str(work_dir), env)


def policy_launcher(pack: Path, folder: Path) -> Path:
    """An executable that serves the Python policy pack `pack`, for the CLI to start without a language host.

    Given a folder, the CLI (v3.274) runs a pack through the pack runtime's language host; given an
    executable file, it starts that file as the analyzer plugin with the engine's address, and reads the
    port it prints (pkg/resource/plugin/analyzer_plugin.go). The pack's __main__ builds PolicyPack(...),
    which serves the analyzer and prints its port, as under the language host: run from its folder
    with this interpreter (which holds pulumi_policy).
    """
    launcher = folder / f"kubeforge-policy-{len(list(folder.iterdir()))}"
    python, main = shlex.quote(sys.executable), shlex.quote(str(pack / "__main__.py"))
    launcher.write_text(f"#!/bin/sh\ncd {shlex.quote(str(pack))} && exec {python} -u {main}\n")
    launcher.chmod(0o755)
    return launcher


def _echo(line: str) -> None:
    print(line, flush=True)


def run(o: Options) -> int:
    # Imported here: `--help` and bad input answer without loading Pulumi.
    from pulumi import automation as auto

    from stacks.program import main as program

    env = environment(o)
    command = auto.PulumiCommand(root=_pulumi_root(o.pulumi_bin) if o.pulumi_bin else None)
    ws_opts = auto.LocalWorkspaceOptions(work_dir=str(o.work_dir), pulumi_command=command, env_vars=env)
    stack = auto.create_or_select_stack(stack_name=o.stack, project_name="kubeforge", program=program, opts=ws_opts)
    if o.plugins is not None:
        install_plugins(command, o.plugins, o.work_dir, env)
    config_file = str(o.config_file) if o.config_file else None
    flags: dict[str, Any] = {  # the options every operation takes
        "parallel": o.parallel,
        "config_file": config_file,
        "on_output": _echo,
        "on_error": _echo,
        "color": "never",
    }
    with tempfile.TemporaryDirectory(prefix="kubeforge-policy-") as launchers:
        packs = [str(policy_launcher(pp, Path(launchers))) for pp in o.policy_packs] or None
        _act(o, stack, flags, packs)
    return 0


def _act(o: Options, stack: Stack, flags: dict[str, Any], packs: list[str] | None) -> None:
    pack_configs = [str(pc) for pc in o.policy_pack_configs] or None
    if o.action == "up":
        up = stack.up(
            expect_no_changes=o.expect_no_changes or None,
            refresh=o.refresh or None,
            diff=o.diff or None,
            policy_packs=packs,
            policy_pack_configs=pack_configs,
            **flags,
        )
        _echo(f"stacks.automation: up {up.summary.result}: {json.dumps(up.summary.resource_changes or {})}")
    elif o.action == "preview":
        pre = stack.preview(
            expect_no_changes=o.expect_no_changes or None,
            refresh=o.refresh or None,
            diff=o.diff or None,
            policy_packs=packs,
            policy_pack_configs=pack_configs,
            **flags,
        )
        _echo(f"stacks.automation: preview: {json.dumps(pre.change_summary)}")
    elif o.action == "refresh":
        stack.refresh(clear_pending_creates=o.clear_pending_creates or None, **flags)
        _echo("stacks.automation: refresh done")
    elif o.action == "destroy":
        stack.destroy(refresh=o.refresh or None, **flags)
        _echo("stacks.automation: destroy done")
    else:
        stack.cancel()
        _echo("stacks.automation: cancelled")


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse(sys.argv[1:] if argv is None else argv)
    from pulumi.automation import errors

    try:
        return run(opts)
    except errors.CommandError as e:
        _echo(f"stacks.automation: {opts.action} failed ({type(e).__name__})")
        return 1
    except KeyboardInterrupt:
        # The CLI got the same Ctrl-C and cancels its update itself; `cancel` then `refresh` recover the stack.
        _echo(f"stacks.automation: {opts.action} interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
