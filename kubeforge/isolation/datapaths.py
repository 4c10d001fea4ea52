"""Team-to-team data paths that are not network flows: which SeaweedFS identity each team's key
opens, and what that identity may touch. Read from the render (the identities SeaweedFS configures at
start, the generated-value ids of each Secret) so a shared or over-wide key is caught before apply."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubeforge.isolation.stores import BUCKET, IDENTITIES_DIR, IDENTITIES_SECRET, TEAM_PREFIXES
from kubeforge.k8s import KObj, name_of, namespace_of, pod_spec
from kubeforge.names import FILL_ANNOTATION
from kubeforge.names import GENERATED_SECRET_ANNOTATION as GENERATED_SECRET
from kubeforge.secrets import parse_annotation, team_artifact_keys

ARTIFACT_SECRET = "mlpipeline-minio-artifact"
_KEY = r"(\$\(cat [^)]+\)|\S+)"
_CONFIGURE = re.compile(rf"s3\.configure -user (\S+) -access_key {_KEY} -secret_key {_KEY} -actions (\S+)")
_FILE = re.compile(re.escape(IDENTITIES_DIR) + r"/([^)\s]+)\)")


@dataclass(frozen=True)
class Identity:
    user: str
    value_id: str  # the generated value its access key is, or "" when unknown
    actions: tuple[str, ...]


def _value_ids(obj: KObj) -> dict[str, str]:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if FILL_ANNOTATION in annotations:  # not generated yet (team objects before the render's secrets stage)
        return dict(team_artifact_keys(namespace_of(obj) or ""))
    ann = annotations.get(GENERATED_SECRET)
    return parse_annotation(str(ann)) if ann else {}


def identities(objects: list[KObj]) -> list[Identity]:
    """Every identity a SeaweedFS server configures at start, with the value id of its access key."""
    platform = next(
        (
            _value_ids(o)
            for o in objects
            if o.get("kind") == "Secret" and (namespace_of(o), name_of(o)) == ("kubeflow", ARTIFACT_SECRET)
        ),
        {},
    )
    store = next(
        (
            _value_ids(o)
            for o in objects
            if o.get("kind") == "Secret" and (namespace_of(o), name_of(o)) == ("kubeflow", IDENTITIES_SECRET)
        ),
        {},
    )
    out: list[Identity] = []
    for o in objects:
        if o.get("kind") not in ("Deployment", "StatefulSet"):
            continue
        for c in (pod_spec(o) or {}).get("containers") or []:
            script = " ".join(
                str(x) for x in ((c.get("lifecycle") or {}).get("postStart") or {}).get("exec", {}).get("command") or []
            )
            for user, key, _secret, actions in _CONFIGURE.findall(script):
                f = _FILE.search(key)
                vid = store.get(f.group(1), "") if f else platform.get(key.lstrip("$"), "")
                out.append(Identity(user, vid, tuple(actions.split(","))))
    return out


def _prefix(action: str) -> str | None:
    """`Read:mlpipeline/private/alpha/*` -> `private/alpha`; None for a bucket-wide or Admin action."""
    _, _, res = action.partition(":")
    bucket, _, prefix = res.rstrip("*").partition("/")
    prefix = prefix.rstrip("/")
    return prefix if bucket == BUCKET and prefix else None


_TEAM_ROOTS = {p.split("/", 1)[0] for p in TEAM_PREFIXES}  # private-artifacts, private


def _other_teams(prefix: str, team: str, teams: set[str]) -> list[str]:
    """Teams other than `team` whose own prefixes `prefix` reaches (a parent reaches them all)."""
    root, _, rest = prefix.strip("/").partition("/")
    if root not in _TEAM_ROOTS:
        return []
    if not rest:
        return sorted(teams - {team})
    owner = rest.split("/", 1)[0]
    return [owner] if owner in teams and owner != team else []


def artifact_problems(objects: list[KObj], teams: list[str]) -> list[tuple[str, str]]:
    """(flow name, message) for each team whose key reaches beyond its own prefixes, or has no identity."""
    ids = identities(objects)
    if not ids:
        return []
    by_value = {i.value_id: i for i in ids if i.value_id}
    secrets = {namespace_of(o): o for o in objects if o.get("kind") == "Secret" and name_of(o) == ARTIFACT_SECRET}
    out: list[tuple[str, str]] = []
    team_set = set(teams)
    for team in teams:
        secret = secrets.get(team)
        if secret is None:
            continue
        value_id = _value_ids(secret).get("accesskey", "")
        identity = by_value.get(value_id)
        if identity is None:
            out.append(
                (f"team-artifacts-identity[{team}]", f"{team}'s S3 key ({value_id}) opens no SeaweedFS identity")
            )
            continue
        own = tuple(p.format(team=team) for p in TEAM_PREFIXES)
        for action in identity.actions:
            prefix = _prefix(action)
            if prefix is None:
                out.append(
                    (
                        f"team-to-artifacts-bucket[{team}]",
                        f"{team}'s key is {identity.user}, granted {action} on the whole store",
                    )
                )
                continue
            for other in _other_teams(prefix, team, team_set):
                out.append(
                    (
                        f"team-to-artifacts-prefix:{other}[{team}]",
                        f"{team}'s key ({identity.user}) is granted {action}",
                    )
                )
            if not any(prefix == p or prefix.startswith(p + "/") for p in own):
                out.append(
                    (
                        f"team-artifacts-beyond-own[{team}]",
                        f"{team}'s key ({identity.user}) is granted {action}, outside {', '.join(own)}",
                    )
                )
    return sorted(set(out))
