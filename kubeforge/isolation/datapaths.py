"""Team-to-team data paths that are not network flows: which SeaweedFS identity each team's key
opens, and what that identity may touch. Read from the render (the identities SeaweedFS configures at
start, the generated-value ids of each Secret) so a shared or over-wide key is caught before apply."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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


_POSITIVE = ("principals", "namespaces", "requestPrincipals", "ipBlocks", "remoteIpBlocks")


def _runs(objects: list[KObj], namespace: str, pods: dict[str, str]) -> bool:
    for o in objects:
        if namespace_of(o) != namespace or pod_spec(o) is None:
            continue
        labels = ((o.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
        if all(labels.get(k) == v for k, v in pods.items()):
            return True
    return False


def _selects(policy: KObj, pods: dict[str, str]) -> bool:
    selector = ((policy.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return all(pods.get(k) == v for k, v in selector.items())


def _admitted(source: dict[str, object], owner: str, teams: set[str]) -> set[str]:
    """Teams other than `owner` a source admits ("*": any caller, it names none)."""
    if not any(source.get(k) for k in _POSITIVE):
        return {"*"}
    principals = [str(p) for p in source.get("principals") or []]  # type: ignore[attr-defined]
    spaces = [str(n) for n in source.get("namespaces") or []]  # type: ignore[attr-defined]
    if "*" in principals or "*" in spaces:
        return {"*"}
    return {
        t for t in teams - {owner} if t in spaces or any(p.startswith(f"cluster.local/ns/{t}/") for p in principals)
    }


def _rule_admits(rule: dict[str, Any], owner: str, teams: set[str]) -> set[str]:
    """What a rule admits: its `from` sources, narrowed by `when` conditions on the caller's identity
    (a header or claim condition alone names no caller: anyone can send a header)."""
    sources = [f.get("source") or {} for f in rule.get("from") or []]
    by_from = set().union(*(_admitted(s, owner, teams) for s in sources)) if sources else {"*"}
    conditions = {str(w.get("key")): list(w.get("values") or []) for w in rule.get("when") or []}
    identity: dict[str, object] = {
        field: conditions[key]
        for key, field in (("source.namespace", "namespaces"), ("source.principal", "principals"))
        if key in conditions
    }
    by_when = _admitted(identity, owner, teams) if identity else {"*"}
    if "*" in by_from:
        return by_when
    return by_from if "*" in by_when else by_from & by_when


def registry_problems(objects: list[KObj], teams: list[str]) -> list[tuple[str, str]]:
    """(flow name, message) for each team registry whose mesh policy admits another team, any caller,
    or that no ALLOW policy selects (Istio then admits every caller)."""
    from kubeforge.isolation.registry import SERVER_PODS

    team_set = set(teams)
    out: list[tuple[str, str]] = []
    for owner in teams:
        if not _runs(objects, owner, SERVER_PODS):
            continue
        policies = [
            o
            for o in objects
            if o.get("kind") == "AuthorizationPolicy"
            and namespace_of(o) == owner
            and (o.get("spec") or {}).get("action", "ALLOW") == "ALLOW"
            and _selects(o, SERVER_PODS)
        ]
        if not policies:
            out.append(
                (
                    f"team-to-registry:{owner}[*]",
                    f"no AuthorizationPolicy selects {owner}'s registry: every caller is admitted",
                )
            )
        for ap in policies:
            for i, rule in enumerate((ap.get("spec") or {}).get("rules") or []):
                for who in sorted(_rule_admits(rule or {}, owner, team_set)):
                    out.append(
                        (
                            f"team-to-registry:{owner}[{who}]",
                            f"{owner}/{name_of(ap)} rule {i} admits {'any caller' if who == '*' else who}",
                        )
                    )
    return sorted(set(out))


@dataclass(frozen=True)
class SharedStore:
    name: str
    namespace: str
    pods: tuple[tuple[str, str], ...]
    port: int
    reason: str


# Stores every team reaches, each with why it cannot be scoped by caller (README, Tenancy).
SHARED_STORES = (
    SharedStore(
        "metadata",
        "kubeflow",
        (("component", "metadata-grpc-server"),),
        8080,
        "ML Metadata (metadata-grpc-service:8080) is shared: KFP's launcher in sidecar-less pipeline pods "
        "records artifacts there in plain text (no caller identity), and ML Metadata has no per-namespace "
        "access control, so a team can read and add to every team's lineage",
    ),
    SharedStore(
        "katib-db",
        "kubeflow",
        (("katib.kubeflow.org/component", "db-manager"),),
        6789,
        "the Katib DB manager (katib-db-manager:6789) is shared: trial metrics collectors run without a "
        "sidecar and it has no per-namespace access control, so a team can read or delete another's "
        "trial logs by trial name",
    ),
)


def shared_store_paths(objects: list[KObj], teams: list[str]) -> list[tuple[str, str, str]]:
    """(team, flow name, reason) for every shared store rendered, once per team."""
    stores = [s for s in SHARED_STORES if _runs(objects, s.namespace, dict(s.pods))]
    return [(t, f"team-to-{s.name}[{t}]", s.reason) for t in teams for s in stores]
