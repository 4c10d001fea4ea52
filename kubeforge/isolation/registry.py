"""One model registry per team, as upstream deploys it ("Installing Model Registry on a Kubeflow
Profile": overlays/db and options/istio applied in the profile's namespace; its UI in `kubeflow`, in
`--deployment-mode=kubeflow`, lists the registries of the namespace the user picked and checks the
user's access to each with a SubjectAccessReview). The server side of the rendered registry (server,
its MySQL, their Services, config, Secret, volume and mesh objects) is copied into every team
namespace and dropped from `kubeflow`; the UI stays shared. Without teams nothing moves."""

from __future__ import annotations

import copy

from kubeforge.k8s import KObj, labels_of, name_of, namespace_of
from kubeforge.names import GENERATED_SECRET_ANNOTATION as GENERATED_SECRET
from kubeforge.names import (
    KUBEFORGE_COMPONENT_LABEL,
    REGISTRY_PORT,
    REGISTRY_SERVER_PODS,
    REGISTRY_UI_PODS,
    TEAMS_COMPONENT,
    principal,
)
from kubeforge.spec.model import PlatformSpec, Team
from kubeforge.tenancy.kfp import TEAM_SIDE_LIMITS

COMPONENT = "model-registry"
SERVER_PODS = REGISTRY_SERVER_PODS
SERVER_PORT = REGISTRY_PORT
REGISTRY_DB_PODS = {"component": "db"}
UI_PODS = REGISTRY_UI_PODS
UI_SA = principal("kubeflow", "model-registry-ui")
DB_SECRET = "model-registry-db-secrets"
# (kind, name) of the registry's server side in `kubeflow`: what each team gets its own copy of.
SERVER_OBJECTS = frozenset(
    {
        ("ServiceAccount", "model-registry-server"),
        ("ConfigMap", "model-registry-configmap"),
        ("ConfigMap", "model-registry-db-parameters"),
        ("Secret", DB_SECRET),
        ("Service", "model-registry-db"),
        ("Service", "model-registry-service"),
        ("PersistentVolumeClaim", "metadata-mysql"),
        ("Deployment", "model-registry-db"),
        ("Deployment", "model-registry-deployment"),
        ("AuthorizationPolicy", "model-registry-service"),
        ("DestinationRule", "model-registry-service"),
    }
)
TEAM_LIMITS = {
    "model-registry-deployment": TEAM_SIDE_LIMITS,
    "model-registry-db": {"cpu": "500m", "memory": "1Gi"},  # MySQL's buffer pool
}
# Dropped, not copied: the gateway route to the one shared server (a prefix cannot name a team's) and
# kubeflow-base's NetworkPolicy letting every profile namespace reach the shared server.
DROPPED = frozenset({("VirtualService", "model-registry"), ("NetworkPolicy", "model-registry")})


def per_team(spec: PlatformSpec) -> bool:
    return spec.enabled(COMPONENT) and bool(spec.teams)


def moves_to_teams(spec: PlatformSpec, o: KObj) -> bool:
    """Whether `o` is the shared registry's server side, which each team gets instead."""
    key = (str(o.get("kind")), name_of(o))
    return per_team(spec) and namespace_of(o) == "kubeflow" and (key in SERVER_OBJECTS or key in DROPPED)


def without_shared_registry(spec: PlatformSpec, objects: list[KObj]) -> list[KObj]:
    return [o for o in objects if not moves_to_teams(spec, o)]


def db_secret_keys(team: str) -> str:
    """The team's own generated MySQL passwords (never shared with another team or the platform)."""
    return (
        f"MYSQL_PASSWORD=model-registry-db-password.{team},MYSQL_ROOT_PASSWORD=model-registry-db-root-password.{team}"
    )


def _policy_rules(team: str) -> list[dict[str, object]]:
    # The shared UI (it checks the user's access to this namespace first), and the team's own
    # workloads with a sidecar (notebooks, the SDK). No other team, no sidecar-less caller (STRICT).
    return [
        {"from": [{"source": {"principals": [UI_SA]}}], "to": [{"operation": {"ports": [str(SERVER_PORT)]}}]},
        {"from": [{"source": {"namespaces": [team]}}], "to": [{"operation": {"ports": [str(SERVER_PORT)]}}]},
    ]


def _copy(o: KObj, team: Team) -> KObj:
    new = copy.deepcopy(o)
    md = new["metadata"]
    md["namespace"] = team.name
    labels = {k: v for k, v in labels_of(o).items() if not k.startswith(("kubeforge.io/", "app.kubernetes.io/"))}
    md["labels"] = {KUBEFORGE_COMPONENT_LABEL: TEAMS_COMPONENT, **labels}
    kind = o.get("kind")
    if kind == "Secret":
        md["annotations"] = {**(md.get("annotations") or {}), GENERATED_SECRET: db_secret_keys(team.name)}
    elif kind == "DestinationRule":
        new["spec"]["host"] = f"model-registry-service.{team.name}.svc.cluster.local"
    elif kind == "Deployment":
        # Limits within the team's quota (the shared copy was sized for the platform namespace).
        for c in new["spec"]["template"]["spec"].get("containers") or []:
            c["resources"] = {**c.get("resources", {}), "limits": dict(TEAM_LIMITS[name_of(o)])}
    elif kind == "AuthorizationPolicy":
        new["spec"] = {
            "action": "ALLOW",
            "selector": {"matchLabels": dict(SERVER_PODS)},
            "rules": _policy_rules(team.name),
        }
    return new


def team_registries(spec: PlatformSpec, objects: list[KObj]) -> list[KObj]:
    """Every team's own registry, copied from the rendered shared one (empty when nothing moves)."""
    if not per_team(spec):
        return []
    templates = [
        o for o in objects if namespace_of(o) == "kubeflow" and (str(o.get("kind")), name_of(o)) in SERVER_OBJECTS
    ]
    return [_copy(o, team) for team in sorted(spec.teams, key=lambda t: t.name) for o in templates]


__all__ = [
    "REGISTRY_DB_PODS",
    "SERVER_PODS",
    "SERVER_PORT",
    "UI_PODS",
    "moves_to_teams",
    "per_team",
    "team_registries",
    "without_shared_registry",
]
