"""Load a PlatformSpec: profile (following `extends:`) + overrides file, then check it against the lock."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kubeforge.errors import BadInput
from kubeforge.paths import MANIFESTS_DIR, PROFILES_DIR
from kubeforge.release.model import Lock
from kubeforge.release.store import load_definition, load_lock, releases
from kubeforge.spec.merge import Path_, deep_merge, origin_of
from kubeforge.spec.model import PlatformSpec
from kubeforge.spec.teams import check_teams

MAX_SPEC_BYTES = 4 << 20  # a profile of 1000 teams is about 200 KB
MAX_SPEC_NODES = 200_000  # that profile is about 15,000 nodes
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, or BadInput naming the file and line; size and alias expansion bounded before building it."""
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise BadInput(f"{size} bytes; a spec file may have at most {MAX_SPEC_BYTES} bytes", file=str(path))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadInput("file not found", file=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read: {getattr(exc, 'strerror', None) or exc}", file=str(path)) from exc
    try:
        doc = bounded_load(text, file=str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BadInput(f"malformed YAML at {where}: {problem}", file=str(path)) from exc
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise BadInput(f"expected a mapping at the top, got {type(doc).__name__}", file=str(path))
    return doc


def bounded_load(text: str, *, file: str | None = None) -> Any:
    """safe_load, but the composed tree is measured first with aliases expanded: an anchor bomb is refused.

    PyYAML shares an aliased node; everything after loading (merge, validation) walks it once per alias.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        nodes = _expanded_size(node, {})
        if nodes > MAX_SPEC_NODES:
            raise BadInput(
                f"expands to more than {MAX_SPEC_NODES} YAML nodes (anchors and aliases counted each time they are used)",
                file=file,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Nodes in the tree with every alias expanded; each distinct node measured once (linear time)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = MAX_SPEC_NODES + 1  # a recursive alias expands without end
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            total += _expanded_size(child, memo)
            if total > MAX_SPEC_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            total += _expanded_size(key, memo) + _expanded_size(value, memo)
            if total > MAX_SPEC_NODES:
                break
    memo[id(node)] = total
    return total


def profile_names(profiles: Path = PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in profiles.glob("*.yaml"))


def is_profile_path(name: str) -> bool:
    """--profile takes a name in profiles/ or a path to a profile file (it ends in .yaml/.yml or has a /)."""
    return "/" in name or name.endswith((".yaml", ".yml"))


def profile_file(name: str, profiles: Path = PROFILES_DIR) -> Path:
    return Path(name) if is_profile_path(name) else profiles / f"{name}.yaml"


def profile_name(name: str) -> str:
    """What the spec calls a profile given by path: its file name without the extension."""
    return Path(name).stem if is_profile_path(name) else name


def without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    """`key: null` removes the key (the field goes back to its default); `components.X: null` switches X off."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "components" and isinstance(value, dict):
            out[key] = {
                name: {"enabled": False} if comp is None else without_nulls(comp) if isinstance(comp, dict) else comp
                for name, comp in value.items()
            }
        elif isinstance(value, dict):
            out[key] = without_nulls(value)
        elif value is not None:
            out[key] = value
    return out


def _profile_chain(name: str, profiles: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The profile and its ancestors, base first."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[str] = []
    current: str | None = name
    referrer = "--profile"
    while current is not None:
        if current in seen:
            loop = " -> ".join([*seen, current])
            raise BadInput(f"extends loop: {loop}", file=str(chain[-1][0]), field="extends")
        path = profile_file(current, profiles) if not seen else profiles / f"{current}.yaml"
        if not path.is_file():
            known = ", ".join(profile_names(profiles)) or "none"
            raise BadInput(
                f"unknown profile {current!r}: no {path} (known: {known})",
                file=referrer,
                field="extends" if seen else None,
            )
        seen.append(current)
        doc = read_yaml(path)
        parent = doc.pop("extends", None)
        if parent is not None and not isinstance(parent, str):
            raise BadInput("expected the name of another profile", file=str(path), field="extends")
        chain.append((path, doc))
        referrer = str(path)
        current = parent
    return list(reversed(chain))


def merged_document(
    profile: str, overrides: list[Path] | None = None, profiles: Path = PROFILES_DIR
) -> tuple[dict[str, Any], dict[Path_, str], str]:
    """The merged mapping, where each field came from, and the last file read."""
    origin: dict[Path_, str] = {}
    data: dict[str, Any] = {}
    last = ""
    for path, doc in _profile_chain(profile, profiles):
        data = deep_merge(data, doc, origin, str(path))
        last = str(path)
    for path in overrides or []:
        doc = read_yaml(path)
        if "extends" in doc:
            raise BadInput("overrides cannot extend; pass --profile instead", file=str(path), field="extends")
        data = deep_merge(data, doc, origin, str(path))
        last = str(path)
    data["profile"] = profile_name(profile)
    return data, origin, last


def _field_and_message(err: Any) -> tuple[tuple[str | int, ...], str]:
    loc: tuple[str | int, ...] = tuple(err.get("loc", ()))
    msg = str(err.get("msg", ""))
    msg = re.sub(r"^(Value|Assertion) error, ", "", msg)
    # Model-level validators name their field at the start of the message: "teams.1.name: ...".
    m = re.match(r"^([A-Za-z_][\w]*(?:\.[\w-]+)*): (.*)$", msg)
    if not loc and m:
        loc = tuple(int(p) if p.isdigit() else p for p in m.group(1).split("."))
        msg = m.group(2)
    if err.get("type") == "extra_forbidden":
        msg = "unknown field"
    elif err.get("type") == "string_pattern_mismatch":
        msg = f"{err.get('input')!r} does not match {err.get('ctx', {}).get('pattern')}"
    return loc, msg


def load_spec(
    profile: str,
    overrides: list[Path] | None = None,
    *,
    profiles: Path = PROFILES_DIR,
    manifests: Path = MANIFESTS_DIR,
    extra: dict[str, Any] | None = None,
) -> PlatformSpec:
    """Load and validate; `extra` is a mapping merged last (Pulumi stack config)."""
    data, origin, last = merged_document(profile, overrides, profiles)
    if extra:
        data = deep_merge(data, extra, origin, "stack config")
    data = without_nulls(data)
    try:
        spec = PlatformSpec.model_validate(data)
    except ValidationError as exc:
        loc, msg = _field_and_message(exc.errors()[0])
        field = ".".join(str(p) for p in loc)
        raise BadInput(msg, file=origin_of(origin, loc, last), field=field) from exc
    check_against_lock(spec, origin, last, manifests)
    check_teams(spec, origin, last)
    check_gpu_quotas(spec, origin, last)
    return spec


def known_components(manifests: Path = MANIFESTS_DIR) -> set[str]:
    """Every component some release defines: a profile may name one the chosen release lacks."""
    names: set[str] = set()
    for release in releases(manifests):
        names.update(load_definition(release, manifests).components)
    return names


def check_gpu_quotas(spec: PlatformSpec, origin: dict[Path_, str], last: str) -> None:
    """A team's GPU quota on a cluster without GPUs could never be used: refused, as the field documents."""
    if spec.gpu.enabled:
        return
    for i, team in enumerate(spec.teams):
        if team.quota.gpu > 0:
            loc = ("teams", str(i), "quota", "gpu")
            raise BadInput(
                f"team {team.name!r} has a GPU quota of {team.quota.gpu} but gpu.enabled is false; "
                "enable GPUs or set the quota to 0",
                file=origin_of(origin, loc, last),
                field=".".join(loc),
            )


def check_against_lock(spec: PlatformSpec, origin: dict[Path_, str], last: str, manifests: Path) -> Lock:
    try:
        lock = load_lock(spec.release, manifests)
    except BadInput as exc:
        # Name the file that set `release`; the inner error's own "release: " prefix would say it twice.
        message = str(exc).removeprefix("release: ") if exc.field == "release" and not exc.file else str(exc)
        raise BadInput(message, file=origin_of(origin, ("release",), last), field="release") from exc
    if not lock.kubernetes.contains(spec.cluster.kubernetes):
        rng = f">= {lock.kubernetes.min}" + (f", <= {lock.kubernetes.max}" if lock.kubernetes.max else "")
        raise BadInput(
            f"Kubernetes {spec.cluster.kubernetes} is outside release {spec.release}'s supported range ({rng})",
            file=origin_of(origin, ("cluster", "kubernetes"), last),
            field="cluster.kubernetes",
        )
    for name, locked in lock.components.items():
        supported = locked.kubernetes
        if supported and spec.enabled(name, core=locked.core) and not supported.contains(spec.cluster.kubernetes):
            raise BadInput(
                f"Kubernetes {spec.cluster.kubernetes} is outside component {name}'s supported range "
                f"({supported.min} to {supported.max}); switch {name} off or pick a version in it",
                file=origin_of(origin, ("cluster", "kubernetes"), last),
                field="cluster.kubernetes",
            )
    for name, comp in spec.components.items():
        if name not in lock.components and name in known_components(manifests):
            continue  # another release has it, this one not: off, and the render says so in a note
        if name not in lock.components:
            known = ", ".join(sorted(lock.components))
            raise BadInput(
                f"unknown component {name!r} (release {spec.release} has: {known})",
                file=origin_of(origin, ("components", name), last),
                field=f"components.{name}",
            )
        if not comp.enabled and lock.components[name].core:
            raise BadInput(
                f"{name!r} is a core component and cannot be disabled",
                file=origin_of(origin, ("components", name, "enabled"), last),
                field=f"components.{name}.enabled",
            )
    return lock
