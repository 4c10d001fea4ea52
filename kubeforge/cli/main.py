"""The `kubeforge` command: one sub-module per command group; errors become one line and an exit code."""

from __future__ import annotations

import signal
import sys

import typer
from rich.markup import escape

from kubeforge import __version__
from kubeforge.cli import check, diff, doctor, kind, release, render, review, spec
from kubeforge.cli.output import err_console
from kubeforge.errors import KubeforgeError

app = typer.Typer(
    name="kubeforge",
    help="Install and operate a Kubeflow-class ML platform: spec -> lock -> render -> check -> apply.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
release.register(app)
app.add_typer(spec.app, name="spec")
doctor.register(app)
render.register(app)
check.register(app)
review.register(app)
diff.register(app)
kind.register(app)


def _print_version(value: bool) -> None:
    # Runs while options are parsed, before click asks for a command (`kubeforge --version` alone).
    if value:
        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
    ),
) -> None:
    """Install and operate a Kubeflow-class ML platform: spec -> lock -> render -> check -> apply."""


def _terminated(signum: int, _frame: object) -> None:
    # An exception, not the default death: every `finally` runs, so workspaces and staging folders go.
    raise SystemExit(128 + signum)


def main() -> None:
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminated)
    try:
        sys.exit(app(standalone_mode=False) or 0)  # without standalone mode, typer returns the exit code
    except KubeforgeError as exc:
        # escape: messages quote patterns like ^[a-z0-9]... that rich would read as markup
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # typer's bundled click: unknown command or option, bad value
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        sys.exit(2)
