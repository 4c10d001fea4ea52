"""`kubeforge render`: spec + lock -> build/<profile>/ (one file per component, plan.json, summary.json)."""

from __future__ import annotations

from pathlib import Path

import typer

from kubeforge.cli.output import Output, console, err_console, print_json, print_table
from kubeforge.cli.spec import OVERRIDES, PROFILE
from kubeforge.identity import FileSecretStore
from kubeforge.paths import cache_dir
from kubeforge.render import Render, render_platform
from kubeforge.render.extensions import default_secret_store
from kubeforge.render.outlock import out_lock
from kubeforge.render.output import check_writable, write_render
from kubeforge.spec import PlatformSpec, load_spec


def secret_store(spec: PlatformSpec) -> FileSecretStore:
    """The identity layer's store of generated secrets (kept so the CLI can show new passwords once)."""
    return default_secret_store(spec.cluster.name)


def render_spec(spec: PlatformSpec, *, quiet: bool = False) -> tuple[Render, FileSecretStore]:
    secrets = secret_store(spec)
    with err_console.status("rendering", spinner="dots") as status:

        def progress(component: str, message: str) -> None:
            if not quiet:
                status.update(f"{component}: {message}")
                err_console.print(f"  [green]✓[/green] {component}: {message}", highlight=False)

        render = render_platform(spec, cache=cache_dir(), secrets=secrets, progress=progress)
    return render, secrets


def announce_new_passwords(secrets: FileSecretStore) -> None:
    for email, password in sorted(secrets.new_passwords.items()):
        err_console.print(
            f"[bold yellow]Dex password for {email} (shown once, only its bcrypt hash is kept): {password}[/]",
            highlight=False,
        )


def render(
    profile: str = PROFILE,
    overrides: list[Path] | None = OVERRIDES,
    out: Path | None = typer.Option(None, "--out", help="Output folder (default build/<profile>)."),
    output: Output = typer.Option(Output.table, "--output", "-o"),
    wait: float = typer.Option(
        0, "--wait", min=0, help="Seconds to wait while another render writes the same --out (default: refuse at once)."
    ),
) -> None:
    """Render the platform offline from the verified cache into --out."""
    spec = load_spec(profile, overrides or [])
    target = out or Path("build") / spec.profile
    check_writable(target)
    with out_lock(target, cache_dir(), wait):
        result, secrets = render_spec(spec, quiet=output is Output.json)
        summary = write_render(result, target)
    announce_new_passwords(secrets)
    if output is Output.json:
        print_json(summary)
        return
    rows = [(name, c["version"], c["objects"]) for name, c in summary["components"].items()]
    print_table(f"rendered {profile} -> {target}", ["component", "version", "objects"], rows)
    req = summary["requests"]
    console.print(
        f"{summary['objects']} objects in {len(result.waves.waves)} waves; requests {req['cpu_cores']} CPU, "
        f"{req['memory_gib']} GiB memory ({req['pods']} pods, {req['sidecars']} sidecars); "
        f"kustomize {result.kustomize.version} via {result.kustomize.source}"
    )


def register(app: typer.Typer) -> None:
    app.command("render")(render)
