"""Shared platform stores scoped by caller: SeaweedFS gets one identity per team, limited to that
team's prefixes (upstream's profile controller creates these at runtime; kubeforge renders them),
and the AuthorizationPolicies of SeaweedFS, the metadata service and the model registry lose their
allow-all rule."""

from __future__ import annotations

import copy

from kubeforge.k8s import KObj, labels_of, meta, name_of, namespace_of, obj, pod_spec, selects
from kubeforge.names import GENERATED_SECRET_ANNOTATION as GENERATED_SECRET
from kubeforge.names import principal
from kubeforge.release.model import Lock
from kubeforge.secrets import team_artifact_keys
from kubeforge.spec.model import PlatformSpec, Team
from kubeforge.tenancy import kfp_store
from kubeforge.tenancy.objectstore import ObjectStore

BUCKET = "mlpipeline"  # the bucket of every KFP release so far; the identities use the render's (ObjectStore)
IDENTITIES_SECRET = "seaweedfs-team-identities"
IDENTITIES_DIR = "/etc/kubeforge/s3-teams"
# Upstream's per-namespace grant, less its two prefixes shared by every namespace (artifacts/, shared/).
TEAM_PREFIXES = ("private-artifacts/{team}", "private/{team}")
TEAM_ACTIONS = ("Read", "Write", "List")
_MARK = "# kubeforge: one identity per team, limited to its own prefixes"
_DONE = "# Signal successful initialization for the startup probe"
KFP_PLATFORM_SAS = (
    "ml-pipeline",
    "ml-pipeline-ui",
    "ml-pipeline-persistenceagent",
    "ml-pipeline-scheduledworkflow",
    "kubeflow-pipelines-metadata-writer",
    "kubeflow-pipelines-cache",
)
MODEL_REGISTRY_CALLERS = ("model-registry-ui", "model-registry-server")


def team_user(team: str) -> str:
    return f"team-{team}"


def team_actions(team: str, bucket: str = BUCKET) -> str:
    """SeaweedFS `-actions` for a team: read, write and list under its own prefixes only. SeaweedFS
    matches an action naming an object path only with a trailing `*` (a prefix match on
    `<action>:<bucket>/<key>`); the `/` before it keeps `alpha` from matching `alpha2`."""
    return ",".join(f"{a}:{bucket}/{p.format(team=team)}/*" for p in TEAM_PREFIXES for a in TEAM_ACTIONS)


def configure_line(team: str, bucket: str = BUCKET) -> str:
    key = f"$(cat {IDENTITIES_DIR}/{team}.accesskey)"
    secret = f"$(cat {IDENTITIES_DIR}/{team}.secretkey)"
    cmd = f"s3.configure -user {team_user(team)} -access_key {key} -secret_key {secret} -actions {team_actions(team, bucket)} -apply"
    return f'echo "{cmd}" | /usr/bin/weed shell || exit 1'


def identities_secret(teams: list[Team], namespace: str) -> KObj:
    """The server side of every team's key (the same generated values as each team's Secret)."""
    md = meta(IDENTITIES_SECRET, namespace, "pipelines")
    pairs = [(f"{t.name}.{k}", vid) for t in teams for k, vid in team_artifact_keys(t.name)]
    md["annotations"] = {GENERATED_SECRET: ",".join(f"{k}={v}" for k, v in pairs)}
    return obj("v1", "Secret", md, type="Opaque")


def _seaweedfs(dep: KObj, teams: list[Team], store: ObjectStore) -> KObj:
    new = copy.deepcopy(dep)
    spec = pod_spec(new) or {}
    # Upstream configures its own admin identity in the server container's postStart script: ours join it.
    container = next(c for c in spec.get("containers") or [] if (c.get("lifecycle") or {}).get("postStart"))
    command = container["lifecycle"]["postStart"]["exec"]["command"]
    script = str(command[-1])
    lines = "\n".join([_MARK, *(configure_line(t.name, store.bucket) for t in teams), ""])
    # Before the startup probe's marker where upstream has one (26.03), else after the admin user (v1.11.0).
    if _DONE in script:
        command[-1] = script.replace(_DONE, lines + "\n" + _DONE, 1)
    else:
        command[-1] = script.rstrip("\n") + "\n" + lines
    spec.setdefault("volumes", []).append({"name": "team-identities", "secret": {"secretName": IDENTITIES_SECRET}})
    container.setdefault("volumeMounts", []).append(
        {"name": "team-identities", "mountPath": IDENTITIES_DIR, "readOnly": True}
    )
    return new


def _principals(sas: tuple[str, ...]) -> list[str]:
    return [principal("kubeflow", sa) for sa in sas]


def _scoped(ap: KObj, rules: list[dict[str, object]]) -> KObj:
    new = copy.deepcopy(ap)
    new["spec"] = {**new["spec"], "rules": rules}
    return new


def _seaweedfs_policy(ap: KObj, store: ObjectStore) -> KObj:
    kept = [r for r in ap["spec"].get("rules") or [] if r]
    # Pipeline pods have no sidecar (no mesh identity): they reach the S3 port only, where SeaweedFS
    # checks each request's signature against the team's own key.
    return _scoped(ap, [*kept, {"to": [{"operation": {"ports": [str(store.pod_port)]}}]}])


def _metadata_policy(ap: KObj) -> KObj:
    platform: dict[str, object] = {"from": [{"source": {"principals": _principals(KFP_PLATFORM_SAS)}}]}
    # The launcher in sidecar-less pipeline pods records metadata over plain text on 8080 (PERMISSIVE).
    launcher: dict[str, object] = {
        "from": [{"source": {"notPrincipals": ["*"]}}],
        "to": [{"operation": {"ports": ["8080"]}}],
    }
    return _scoped(ap, [platform, launcher])


def _registry_policy(ap: KObj) -> KObj:
    # The UI checks each user's access to the registry (SubjectAccessReview) before calling it.
    return _scoped(ap, [{"from": [{"source": {"principals": _principals(MODEL_REGISTRY_CALLERS)}}]}])


_POLICIES = {
    ("kubeflow", "metadata-grpc-service"): _metadata_policy,
    ("kubeflow", "model-registry-service"): _registry_policy,
}


def _store_policy(o: KObj, store: ObjectStore | None) -> bool:
    """SeaweedFS's AuthorizationPolicy: the one in its namespace whose selector picks its pods."""
    if store is None or not store.team_identities or o.get("kind") != "AuthorizationPolicy":
        return False
    selector = ((o.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return namespace_of(o) == store.namespace and bool(selector) and selects(selector, store.pods)


def isolate_stores(spec: PlatformSpec, lock: Lock, objects: list[KObj]) -> list[KObj]:
    store = kfp_store(spec, lock, objects)
    teams = sorted(spec.teams, key=lambda t: t.name) if store is not None and store.team_identities else []
    out: list[KObj] = []
    server: KObj | None = None
    for o in objects:
        key = (namespace_of(o) or "", name_of(o))
        if (
            store is not None
            and teams
            and o.get("kind") in ("Deployment", "StatefulSet")
            and key == (store.namespace, store.workload)
        ):
            server = o
            out.append(_seaweedfs(o, teams, store))
        elif store is not None and _store_policy(o, store):
            out.append(_seaweedfs_policy(o, store))
        elif o.get("kind") == "AuthorizationPolicy" and key in _POLICIES:
            out.append(_POLICIES[key](o))
        else:
            out.append(o)
    if store is not None and server is not None:
        secret = identities_secret(teams, store.namespace)
        ours = {k: v for k, v in labels_of(server).items() if k.startswith(("kubeforge.io/", "app.kubernetes.io/"))}
        secret["metadata"]["labels"] = {**secret["metadata"]["labels"], **ours}
        out.append(secret)
    return out


__all__ = ["IDENTITIES_SECRET", "isolate_stores", "team_actions", "team_user"]
