"""`kubeforge review`: the security team's report of one render (Markdown + JSON), and `--approved`
to fail on anything the render grants that an approved report did not."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from kubeforge.cli.output import console, err_console
from kubeforge.cli.render import render_spec
from kubeforge.cli.spec import OVERRIDES, PROFILE
from kubeforge.errors import EXIT_CHECK_FAILED, BadInput
from kubeforge.spec import load_spec


def _approved(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read an approved review report: {exc}", file=str(path)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("teams"), list):
        raise BadInput("expected a review.json written by `kubeforge review`", file=str(path), field="teams")
    return data


def review(
    profile: str = PROFILE,
    overrides: list[Path] | None = OVERRIDES,
    out: Path | None = typer.Option(
        None, "--out", help="Folder for review.md and review.json (default build/<profile>-review)."
    ),
    approved: Path | None = typer.Option(
        None, "--approved", help="An approved review.json: exit 1 naming each new grant."
    ),
) -> None:
    """Report who can do what in each team, what reaches what, and the platform's exceptions."""
    from kubeforge.review import build_review, new_grants, to_markdown

    spec = load_spec(profile, overrides or [])
    baseline = _approved(approved) if approved is not None else None  # bad input before any work
    render, _ = render_spec(spec, quiet=True)
    report = build_review(spec, render.objects)
    target = out or Path("build") / f"{profile}-review"
    target.mkdir(parents=True, exist_ok=True)
    (target / "review.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (target / "review.md").write_text(to_markdown(report), encoding="utf-8")
    console.print(f"review of {profile}: {len(report['teams'])} teams -> {target}/review.md, review.json")
    if baseline is not None:
        added = new_grants(report, baseline)
        for line in added:
            err_console.print(f"new grant: {line}", highlight=False, markup=False)
        if added:
            raise typer.Exit(EXIT_CHECK_FAILED)
        console.print(f"nothing granted beyond {approved}")


def register(app: typer.Typer) -> None:
    app.command("review")(review)
