"""`kubeforge doctor`: which tools are here, their versions, and what each is needed for."""

from __future__ import annotations

import typer

from kubeforge.cli.output import Output, console, print_json, print_table
from kubeforge.errors import BadInput
from kubeforge.tools import TOOLS, find_kustomize, probe


def doctor(output: Output = typer.Option(Output.table, "--output", "-o")) -> None:
    """Report tools: found or not, version, what for. Exit 1 when render could not run."""
    tools = [probe(name) for name in TOOLS]
    try:
        kz = find_kustomize()
        kustomize = {"found": True, "via": kz.source, "version": kz.version, "command": " ".join(kz.command)}
    except BadInput:
        kustomize = {"found": False, "via": None, "version": None, "command": None}
    if output is Output.json:
        print_json({"tools": [t.to_json() for t in tools], "kustomize": kustomize})
    else:
        rows = [(t.name, "yes" if t.found else "no", t.version or "", t.needed_for) for t in tools]
        print_table("kubeforge doctor", ["tool", "found", "version", "needed for"], rows)
        if kustomize["found"]:
            console.print(f"render uses kustomize {kustomize['version']} via {kustomize['via']}")
        else:
            console.print("[red]render cannot run: no kustomize and no kubectl[/red]")
    if not kustomize["found"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
