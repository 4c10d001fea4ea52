"""`kubeforge check`: prove the rendered platform valid and safe before anything touches a cluster."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from kubeforge.cli.output import Output, console, print_json
from kubeforge.cli.render import render_spec
from kubeforge.cli.spec import OVERRIDES, PROFILE
from kubeforge.errors import EXIT_CHECK_FAILED
from kubeforge.spec import load_spec


class Scanner(StrEnum):
    checkov = "checkov"


def check(
    profile: str = PROFILE,
    overrides: list[Path] | None = OVERRIDES,
    scan: list[Scanner] | None = typer.Option(None, "--scan", help="Also run a scanner (checkov)."),
    output: Output = typer.Option(Output.table, "--output", "-o"),
    show_info: bool = typer.Option(False, "--info", help="List info findings too (e.g. CEL rules not checked)."),
) -> None:
    """Render the profile (the one render path), then check schemas, policies, reachability, scanners."""
    from kubeforge.check.run import run_checks  # schema validators load only when checking

    spec = load_spec(profile, overrides or [])
    render, _ = render_spec(spec, quiet=True)
    report = run_checks(render, scan_checkov=Scanner.checkov in (scan or []))
    if output is Output.json:
        print_json(report.to_json())
    else:
        _table(report.to_json(), show_info)
    if report.failed:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _table(data: dict[str, object], show_info: bool) -> None:
    findings = data["findings"]
    assert isinstance(findings, list)
    for severity, style in (("error", "red"), ("warning", "yellow"), ("info", "blue")):
        rows = [f for f in findings if f["severity"] == severity]
        if not rows or (severity == "info" and not show_info):
            continue
        table = Table(title=f"{severity}s ({len(rows)})", title_justify="left", title_style=style)
        for col in ("rule", "object", "path", "message"):
            table.add_column(col, overflow="fold")
        for f in rows:
            table.add_row(f["rule"], f["object"], f["path"], f["message"])
        console.print(table)
    counts = data["counts"]
    verdict = "[red]FAILED[/red]" if data["failed"] else "[green]passed[/green]"
    console.print(f"{data['objects']} objects checked: {verdict} {counts}; seconds {data['seconds']}")
    if data.get("checkov"):
        console.print(f"checkov: {data['checkov']}")


def register(app: typer.Typer) -> None:
    app.command("check")(check)
