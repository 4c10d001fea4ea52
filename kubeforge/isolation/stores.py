"""Shared platform stores scoped by caller: SeaweedFS gets one identity per team, limited to that
team's prefixes (upstream's profile controller creates these at runtime; kubeforge renders them),
and the AuthorizationPolicies of SeaweedFS, the metadata service and the model registry lose their
allow-all rule."""

from __future__ import annotations

import copy

from kubeforge.k8s import KObj, labels_of, meta, name_of, namespace_of, obj, pod_spec
from kubeforge.names import GENERATED_SECRET_ANNOTATION as GENERATED_SECRET
from kubeforge.names import principal
from kubeforge.secrets import team_artifact_keys
from kubeforge.spec.model import PlatformSpec, Team

BUCKET = "mlpipeline"
IDENTITIES_SECRET = "seaweedfs-team-identities"
IDENTITIES_DIR = "/etc/kubeforge/s3-teams"
S3_PORT = 8333
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


def team_actions(team: str) -> str:
    """SeaweedFS `-actions` for a team: read, write and list under its own prefixes only. SeaweedFS
    matches an action naming an object path only with a trailing `*` (a prefix match on
    `<action>:<bucket>/<key>`); the `/` before it keeps `alpha` from matching `alpha2`."""
    return ",".join(f"{a}:{BUCKET}/{p.format(team=team)}/*" for p in TEAM_PREFIXES for a in TEAM_ACTIONS)


def configure_line(team: str) -> str:
    key = f"$(cat {IDENTITIES_DIR}/{team}.accesskey)"
    secret = f"$(cat {IDENTITIES_DIR}/{team}.secretkey)"
    cmd = f"s3.configure -user {team_user(team)} -access_key {key} -secret_key {secret} -actions {team_actions(team)} -apply"
    return f'echo "{cmd}" | /usr/bin/weed shell || exit 1'


def identities_secret(teams: list[Team]) -> KObj:
    """The server side of every team's key (the same generated values as each team's Secret)."""
    md = meta(IDENTITIES_SECRET, "kubeflow", "pipelines")
    pairs = [(f"{t.name}.{k}", vid) for t in teams for k, vid in team_artifact_keys(t.name)]
    md["annotations"] = {GENERATED_SECRET: ",".join(f"{k}={v}" for k, v in pairs)}
    return obj("v1", "Secret", md, type="Opaque")


def _seaweedfs(dep: KObj, teams: list[Team]) -> KObj:
    new = copy.deepcopy(dep)
    spec = pod_spec(new) or {}
    container = next(c for c in spec.get("containers") or [] if c.get("name") == "seaweedfs")
    command = container["lifecycle"]["postStart"]["exec"]["command"]
    script = str(command[-1])
    lines = "\n".join([_MARK, *(configure_line(t.name) for t in teams), ""])
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


def _seaweedfs_policy(ap: KObj) -> KObj:
    kept = [r for r in ap["spec"].get("rules") or [] if r]
    # Pipeline pods have no sidecar (no mesh identity): they reach the S3 port only, where SeaweedFS
    # checks each request's signature against the team's own key.
    return _scoped(ap, [*kept, {"to": [{"operation": {"ports": [str(S3_PORT)]}}]}])


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
    ("kubeflow", "seaweedfs-service"): _seaweedfs_policy,
    ("kubeflow", "metadata-grpc-service"): _metadata_policy,
    ("kubeflow", "model-registry-service"): _registry_policy,
}


def isolate_stores(spec: PlatformSpec, objects: list[KObj]) -> list[KObj]:
    teams = sorted(spec.teams, key=lambda t: t.name) if spec.enabled("pipelines") else []
    out: list[KObj] = []
    for o in objects:
        key = (namespace_of(o) or "", name_of(o))
        if o.get("kind") == "Deployment" and key == ("kubeflow", "seaweedfs") and teams:
            out.append(_seaweedfs(o, teams))
        elif o.get("kind") == "AuthorizationPolicy" and key in _POLICIES:
            out.append(_POLICIES[key](o))
        else:
            out.append(o)
    if teams and any(o.get("kind") == "Deployment" and name_of(o) == "seaweedfs" for o in objects):
        dep = next(o for o in objects if o.get("kind") == "Deployment" and name_of(o) == "seaweedfs")
        secret = identities_secret(teams)
        ours = {k: v for k, v in labels_of(dep).items() if k.startswith(("kubeforge.io/", "app.kubernetes.io/"))}
        secret["metadata"]["labels"] = {**secret["metadata"]["labels"], **ours}
        out.append(secret)
    return out


__all__ = ["IDENTITIES_SECRET", "isolate_stores", "team_actions", "team_user"]
