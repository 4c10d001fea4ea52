"""Compare two sides object by object (matched by group/kind/namespace/name) and collect the dangers."""

from __future__ import annotations

from kubeforge.diff.dangers import crd_dangers, deletion_danger, immutable_dangers, label, step_danger
from kubeforge.diff.fields import changed_paths, comparable
from kubeforge.diff.model import SEVERITY_ORDER, ComponentDiff, Danger, Report, Side
from kubeforge.k8s import KObj, ident, labels_of, name_of
from kubeforge.names import TEAM_LABEL, TEAMS_COMPONENT
from kubeforge.render.transforms.images import images_of

MAX_PATHS = 6  # changed fields listed per object; the rest counted


def _index(side: Side) -> dict[str, tuple[str, KObj]]:
    return {ident(obj): (comp, obj) for comp, objs in side.objects.items() for obj in objs}


def _team_namespaces(side: Side) -> set[str]:
    return {
        name_of(o)
        for comp, objs in side.objects.items()
        for o in objs
        if o.get("kind") == "Namespace" and (comp == TEAMS_COMPONENT or TEAM_LABEL in labels_of(o))
    }


def _images(old: list[KObj], new: list[KObj]) -> list[tuple[str | None, str | None]]:
    """Images paired by repository: a new tag is one change, not a removal and an addition."""
    a, b = set(images_of(old)), set(images_of(new))
    gone, came = sorted(a - b), sorted(b - a)
    repo = {img: img.rsplit("@", 1)[0].rsplit(":", 1)[0] if "/" in img or ":" in img else img for img in a | b}
    out: list[tuple[str | None, str | None]] = []
    for img in gone:
        match = next((n for n in came if repo[n] == repo[img]), None)
        if match is not None:
            came.remove(match)
        out.append((img, match))
    out.extend((None, n) for n in came)
    return out


def _summary(paths: list[str]) -> list[str]:
    return paths if len(paths) <= MAX_PATHS else [*paths[:MAX_PATHS], f"... {len(paths) - MAX_PATHS} more"]


def diff_sides(old: Side, new: Side, through: dict[str, list[tuple[str, str]]] | None = None) -> Report:
    """`through`: component -> pinned intermediate (release, version) steps the upgrade path declares."""
    a, b = _index(old), _index(new)
    names = list(dict.fromkeys([*old.objects, *new.objects, *old.versions, *new.versions]))
    comps = {n: ComponentDiff(n, old.versions.get(n), new.versions.get(n)) for n in names}
    dangers: list[Danger] = []
    teams = _team_namespaces(old)
    for key, (comp, obj) in b.items():
        if key not in a:
            comps[comp].added.append(label(obj))
    for key, (comp, obj) in a.items():
        if key not in b:
            comps[comp].removed.append(label(obj))
            found = deletion_danger(comp, obj, teams)
            if found:
                dangers.append(found)
            continue
        new_comp, new_obj = b[key]
        paths = changed_paths(comparable(obj), comparable(new_obj))
        if new_comp != comp:
            paths.insert(0, f"component {comp} -> {new_comp}")
        if paths:
            comps[new_comp].changed[label(obj)] = _summary(paths)
        if obj.get("kind") == "CustomResourceDefinition":
            dangers.extend(crd_dangers(new_comp, obj, new_obj))
        dangers.extend(immutable_dangers(new_comp, obj, new_obj))
    for name, diff in comps.items():
        diff.images = _images(old.objects.get(name, []), new.objects.get(name, []))
        if diff.old_version and diff.new_version:
            step = step_danger(name, diff.old_version, diff.new_version, (through or {}).get(name, []))
            if step:
                dangers.append(step)
    dangers.sort(key=lambda d: (SEVERITY_ORDER[d.severity], d.component, d.kind, d.object))
    return Report(old, new, list(comps.values()), dangers)
