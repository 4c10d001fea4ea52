"""`kubeforge diff`: what upgrading from one render to another changes, per component, and what is dangerous.

Sides: a release of a profile (`--profile P --from-release A --to-release B`, with `--overrides F` merged
over the profile on both sides, as a stack's `kubeforge:spec`), a spec file (`--from-spec F`, `--to-spec G`)
or a saved render folder (`--from-render build/<profile>`).
Exit 1 when anything is blocking, 2 on bad input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import typer
from rich.markup import escape

from kubeforge.cli.output import Output, console, print_json, print_table
from kubeforge.cli.spec import OVERRIDES
from kubeforge.diff import Report, Side, diff_sides, side_from_folder, side_from_render
from kubeforge.diff.sides import PlaceholderSecrets
from kubeforge.errors import EXIT_CHECK_FAILED, BadInput
from kubeforge.paths import cache_dir
from kubeforge.release.store import definition_path
from kubeforge.release.upgrade import upgrade_path
from kubeforge.render import render_platform
from kubeforge.spec import PlatformSpec, load_spec


def _render_side(spec: PlatformSpec, label: str) -> Side:
    render = render_platform(spec, cache=cache_dir(), secrets=PlaceholderSecrets())
    return side_from_render(render, label)


def _side(
    which: str,
    profile: str | None,
    release: str | None,
    spec_file: Path | None,
    folder: Path | None,
    overrides: list[Path] | None = None,
) -> tuple[str, Callable[[], Side]]:
    """The side's release (known before any render: bad input is refused first) and how to make the side."""
    given = [x for x in (release, spec_file, folder) if x is not None]
    if len(given) > 1:
        raise BadInput(f"give one of --{which}-release, --{which}-spec, --{which}-render", field=f"--{which}-*")
    if folder is not None:
        saved = side_from_folder(folder, f"--{which}-render")
        return saved.release, lambda: saved
    if spec_file is not None:
        spec = load_spec(str(spec_file))
        return spec.release, lambda: _render_side(spec, str(spec_file))
    if profile is None:
        raise BadInput(f"give --profile with --{which}-release, or --{which}-spec", field="--profile")
    if release is not None:
        _known(release, f"--{which}-release")
    # The release given wins over one the overrides name (a stack's spec carries its current release).
    spec = load_spec(profile, overrides or [], extra={"release": release} if release else None)
    return spec.release, lambda: _render_side(spec, f"{profile}@{spec.release}")


def _short_image(old: str | None, new: str | None) -> str:
    """`controller: v1.16.1 -> v1.19.4` for a new tag of one image; whole references otherwise."""
    if old and new:
        a, b = old.rsplit("/", 1)[-1], new.rsplit("/", 1)[-1]
        sep = "@" if "@" in a else ":"
        if sep in a and sep in b and a.split(sep)[0] == b.split(sep)[0]:
            return f"{a.split(sep)[0]}: {a.split(sep, 1)[1][:19]} -> {b.split(sep, 1)[1][:19]}"
    return f"{old or '-'} -> {new or '-'}"


def _print(report: Report) -> None:
    rows = [(d.severity, d.kind, d.component, escape(d.object), escape(d.why)) for d in report.dangers]
    title = f"{report.old.label} ({report.old.release}) -> {report.new.label} ({report.new.release})"
    if rows:
        print_table(f"dangers, blocking first: {title}", ["severity", "danger", "component", "object", "why"], rows)
    comp_rows = []
    for c in report.components:
        if c.empty:
            continue
        version = (
            c.old_version if c.old_version == c.new_version else f"{c.old_version or '-'} -> {c.new_version or '-'}"
        )
        # The fields most objects changed, with how many: the per-object detail is in --output json.
        counts = Counter(p for paths in c.changed.values() for p in paths if not p.startswith("..."))
        changed = ", ".join(f"{p} ({n})" for p, n in counts.most_common(3))
        images = ", ".join(_short_image(a, b) for a, b in c.images)
        # escape: paths like containers[web] would be read as rich markup
        comp_rows.append(
            (c.name, version, len(c.added), len(c.removed), len(c.changed), escape(changed), escape(images))
        )
    print_table(
        f"components: {title}",
        ["component", "version", "added", "removed", "changed", "changed fields", "images"],
        comp_rows,
    )
    for step in report.migrations:
        console.print(f"migration ({step['phase']}): {escape(step['id'])}: {escape(step['why'])}", highlight=False)
    blocking = len(report.blocking)
    console.print(f"{len(report.dangers)} dangers, {blocking} blocking", highlight=False)


def diff(
    profile: str | None = typer.Option(None, "--profile", "-p", help="Profile rendered at --from/--to-release."),
    from_release: str | None = typer.Option(None, "--from-release", help="The release running today."),
    to_release: str | None = typer.Option(None, "--to-release", help="The release to upgrade to."),
    from_spec: Path | None = typer.Option(None, "--from-spec", help="A spec file running today."),
    to_spec: Path | None = typer.Option(None, "--to-spec", help="The spec file to upgrade to."),
    from_render: Path | None = typer.Option(None, "--from-render", help="A saved render folder (build/<profile>)."),
    overrides: list[Path] | None = OVERRIDES,
    output: Output = typer.Option(Output.table, "--output", "-o"),
) -> None:
    """What an upgrade changes per component and what is dangerous; exit 1 when anything is blocking."""
    if from_release is not None and from_release == to_release:
        raise BadInput(f"release {from_release!r} on both sides: nothing to upgrade", field="--to-release")
    if from_release is None and from_spec is None and from_render is None:
        raise BadInput("give --from-release (with --profile), --from-spec or --from-render", field="--from-*")
    if overrides and profile is None:
        raise BadInput("it is merged over the profile: give --profile", field="--overrides")
    old_release, make_old = _side("from", profile, from_release, from_spec, from_render, overrides)
    new_release, make_new = _side("to", profile, to_release, to_spec, None, overrides)
    path = upgrade_path(old_release, new_release) if old_release != new_release else None
    through = {c: [(t.release, t.version) for t in steps] for c, steps in path.through.items()} if path else {}
    old, new = make_old(), make_new()
    report = diff_sides(old, new, through)
    if path:
        report.migrations = [s.model_dump(mode="json") for s in path.steps]
    if output is Output.json:
        print_json(report.to_json())
    else:
        _print(report)
    if report.blocking:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _known(release: str, field: str) -> None:
    try:
        definition_path(release)
    except BadInput as exc:
        raise BadInput(str(exc).removeprefix("release: "), field=field) from exc


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
