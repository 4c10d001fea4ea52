"""Team checks the spec model cannot express per field: reserved names, quota vs LimitRange.

`check_teams` raises the first problem naming its field ("teams.0.name") and, given the merge's
origins, the file that set it; `kubeforge.spec.load` calls it on every spec it loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from kubeforge.errors import BadInput
from kubeforge.names import reserved_namespace
from kubeforge.spec.merge import Path_, origin_of
from kubeforge.spec.model import PlatformSpec, Team
from kubeforge.spec.quantity import parse_quantity


def _quantity(value: str | None) -> Decimal | None:
    return parse_quantity(value) if value is not None else None


def team_problems(teams: Iterable[Team]) -> list[tuple[str, str]]:
    """(field, message) for each team that names a reserved namespace or whose quota is below its
    LimitRange defaults (one default-sized pod could not start)."""
    out: list[tuple[str, str]] = []
    for i, team in enumerate(teams):
        if reserved_namespace(team.name):
            out.append(
                (f"teams.{i}.name", f"{team.name!r} is a platform or system namespace; choose another team name")
            )
        for resource in ("cpu", "memory"):
            ceiling = parse_quantity(getattr(team.quota, resource))
            for kind, res in (("default", team.limits.default), ("default_request", team.limits.default_request)):
                value = getattr(res, resource)
                amount = _quantity(value)
                if amount is not None and amount > ceiling:
                    out.append(
                        (
                            f"teams.{i}.quota.{resource}",
                            f"quota {getattr(team.quota, resource)} is below the LimitRange "
                            f"{kind.replace('_', ' ')} {value} (limits.{kind}.{resource}); "
                            "no pod with the defaults would fit",
                        )
                    )
    return out


def check_teams(spec: PlatformSpec, origin: dict[Path_, str] | None = None, fallback: str = "") -> None:
    """BadInput for the first team problem, naming the file the field came from when `origin` is given."""
    problems = team_problems(spec.teams)
    if not problems:
        return
    field, message = problems[0]
    loc: tuple[str | int, ...] = tuple(int(p) if p.isdigit() else p for p in field.split("."))
    file = origin_of(origin, loc, fallback) if origin is not None else (fallback or None)
    raise BadInput(message, file=file, field=field)
