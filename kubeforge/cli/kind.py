"""`kubeforge kind-config` and `kubeforge kind-doctor`: what scripts/kind-up needs from the engine."""

from __future__ import annotations

import os
from pathlib import Path

import typer
import yaml

from kubeforge.cli.output import Output, console, print_json, print_table
from kubeforge.cli.spec import OVERRIDES, PROFILE
from kubeforge.errors import BadInput, CheckFailed
from kubeforge.kind import kind_cluster_config, laptop_report
from kubeforge.release.store import load_lock
from kubeforge.spec import load_spec


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (the kubeadm patch) as literal blocks, as people write kind configs."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_BlockDumper.add_representer(str, _str)


def kind_config(
    profile: str = PROFILE,
    overrides: list[Path] | None = OVERRIDES,
    out: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
) -> None:
    """Print the kind cluster config (kind.x-k8s.io/v1alpha4) for a kind profile."""
    spec = load_spec(profile, overrides or [])
    if not spec.is_kind:
        raise BadInput(
            f"profile {profile!r} is for cluster.provider {spec.cluster.provider!r}, not kind", field="--profile"
        )
    text = yaml.dump(kind_cluster_config(spec, load_lock(spec.release)), Dumper=_BlockDumper, sort_keys=False)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def kind_doctor(
    output: Output = typer.Option(Output.table, "--output", "-o"),
    sysctl: bool = typer.Option(False, "--sysctl", help="Only print the KEY=VALUE sysctls to raise, one a line."),
) -> None:
    """Check a laptop for `make up`: container engine, kind, kubectl, pulumi, inotify limits. Exit 1 if unusable."""
    report = laptop_report(engine=os.environ.get("KIND_EXPERIMENTAL_PROVIDER") or None)
    if sysctl:
        for change in report.sysctl:
            typer.echo(change.assignment)
    elif output is Output.json:
        print_json(
            {
                "ok": report.ok,
                "engine": report.engine,
                "missing": report.missing,
                "sysctl": [{"key": c.key, "current": c.current, "wanted": c.wanted} for c in report.sysctl],
                "problems": report.problems(),
            }
        )
    else:
        rows = [("container engine", report.engine or "none")]
        rows += [(tool, "missing") for tool in report.missing]
        rows += [(c.key, f"{c.current} (raise to {c.wanted})") for c in report.sysctl]
        print_table("kubeforge kind-doctor", ["check", "state"], rows)
        for problem in report.problems():
            console.print(f"[red]{problem}[/red]")
    if not report.ok:
        raise CheckFailed("this machine cannot run `make up`: " + "; ".join(report.problems()))


def register(app: typer.Typer) -> None:
    app.command("kind-config")(kind_config)
    app.command("kind-doctor")(kind_doctor)
