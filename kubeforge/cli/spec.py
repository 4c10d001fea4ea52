"""`kubeforge spec show|schema`: the merged spec of a profile, and the spec's JSON schema."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from kubeforge.cli.output import Output, print_json
from kubeforge.spec import PlatformSpec, load_spec

app = typer.Typer(help="Show the merged platform spec or its JSON schema.", no_args_is_help=True)

PROFILE = typer.Option("kind", "--profile", "-p", help="Profile name (profiles/<name>.yaml) or path to a profile file.")
OVERRIDES = typer.Option(None, "--overrides", "-f", help="YAML file(s) merged on top of the profile.")


@app.command("show")
def show(
    profile: str = PROFILE,
    overrides: list[Path] | None = OVERRIDES,
    output: Output = typer.Option(Output.table, "--output", "-o", help="table (YAML) or json"),
) -> None:
    """Print the merged, validated spec of a profile."""
    spec = load_spec(profile, overrides or [])
    data = spec.model_dump(mode="json", exclude_none=True)
    if output is Output.json:
        print_json(data)
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False), nl=False)


@app.command("schema")
def schema() -> None:
    """Print the spec's JSON schema (every field documented)."""
    print_json(PlatformSpec.model_json_schema())
