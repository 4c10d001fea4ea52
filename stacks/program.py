"""The Pulumi program: render the platform with the engine, then apply the plan (stacks/plan.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

from kubeforge.errors import BadInput
from kubeforge.k8s import KObj, namespace_of
from kubeforge.paths import cache_dir
from kubeforge.render.pipeline import Render, render_platform
from kubeforge.spec import PlatformSpec, load_spec
from stacks.clusters import create_cluster, wanted
from stacks.clusters.base import CloudCluster
from stacks.components import PlatformResource, make_owner
from stacks.config import StackConfig, kube_target, read_config
from stacks.data import create_data
from stacks.data.base import DataServices
from stacks.generated import DEX_NAMESPACE, DEX_USER_PREFIX, GeneratedKey, PendingPasswordStore, is_login_password
from stacks.plan import PROVIDER_SETTINGS, Node, Plan, plan_stack

PASSWORD_LENGTH = 32  # alphanumeric 32: also exactly an AES-256 key, as oauth2-proxy's cookie secret must be

Renderer = Callable[[PlatformSpec], Render]


@dataclass
class Deployed:
    spec: PlatformSpec
    render: Render
    objects: list[KObj]
    plan: Plan
    provider: k8s.Provider
    owners: dict[str, PlatformResource]
    resources: dict[str, pulumi.Resource]
    passwords: dict[str, random.RandomPassword]
    exports: dict[str, Any]
    cluster: CloudCluster | None = None  # the cloud cluster this stack created (kubeforge:cluster)
    data: DataServices | None = None  # its managed database and object store (spec data.*)


def default_renderer(spec: PlatformSpec) -> Render:
    # Dex passwords come from pulumi-random at apply time: the identity layer gets placeholders to replace.
    return render_platform(spec, cache=cache_dir(), secrets=PendingPasswordStore())


def dashboard_url(spec: PlatformSpec) -> str:
    scheme = "http" if spec.ingress.tls.mode == "none" else "https"
    port = spec.ingress.port
    default = 80 if scheme == "http" else 443
    return f"{scheme}://{spec.ingress.host}{f':{port}' if port and port != default else ''}/"


def dex_issuer(objects: list[KObj]) -> str | None:
    for obj in objects:
        if namespace_of(obj) != DEX_NAMESPACE or obj.get("kind") not in ("ConfigMap", "Secret"):
            continue
        text = (obj.get("data") or {}).get("config.yaml") or (obj.get("stringData") or {}).get("config.yaml")
        if isinstance(text, str) and "issuer:" in text and obj.get("kind") == "ConfigMap":
            issuer = (yaml.safe_load(text) or {}).get("issuer")
            return str(issuer) if issuer else None
    return None


def _resource_name(generator: str) -> str:
    return "password-" + re.sub(r"[^-._@A-Za-z0-9]", "-", generator)


def _password(
    gen: GeneratedKey, owner: PlatformResource, passwords: dict[str, random.RandomPassword]
) -> pulumi.Output[str]:
    if gen.generator not in passwords:
        # Generated once and kept in the stack's state (encrypted): later `pulumi up`s reuse it.
        passwords[gen.generator] = random.RandomPassword(
            _resource_name(gen.generator),
            length=PASSWORD_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=owner),
        )
    pw = passwords[gen.generator]
    return pulumi.Output.secret(pw.bcrypt_hash if gen.bcrypt else pw.result)


def _filled(node: Node, values: dict[str, pulumi.Output[str]]) -> dict[str, pulumi.Output[str]]:
    """The stack's values for the node's stack-filled keys (from stacks/data/)."""
    missing = sorted(v for v in node.stack_values.values() if v not in values)
    if missing:
        raise BadInput(
            f"{node.name} needs {', '.join(missing)}, which only a stack-created data service provides "
            "(set kubeforge:cluster to the spec's cloud)",
            field="kubeforge:cluster",
        )
    return {k: values[v] for k, v in sorted(node.stack_values.items())}


def _config_map(
    node: Node,
    owner: PlatformResource,
    provider: k8s.Provider,
    deps: list[pulumi.Resource],
    values: dict[str, pulumi.Output[str]],
) -> k8s.core.v1.ConfigMap:
    obj = node.objects[0]
    data: dict[str, Any] = {k: v for k, v in (obj.get("data") or {}).items() if k not in node.stack_values}
    data.update(_filled(node, values))
    return k8s.core.v1.ConfigMap(
        node.name,
        metadata=obj["metadata"],
        data=data,
        opts=pulumi.ResourceOptions(parent=owner, provider=provider, depends_on=deps),
    )


def _secret(
    node: Node,
    owner: PlatformResource,
    provider: k8s.Provider,
    deps: list[pulumi.Resource],
    passwords: dict[str, random.RandomPassword],
    values: dict[str, pulumi.Output[str]] | None = None,
) -> k8s.core.v1.Secret:
    obj = node.objects[0]
    own = set(node.generated) | set(node.stack_values)
    data = {k: v for k, v in (obj.get("data") or {}).items() if k not in own}
    string_data: dict[str, Any] = {k: v for k, v in (obj.get("stringData") or {}).items() if k not in own}
    string_data.update({k: _password(g, owner, passwords) for k, g in sorted(node.generated.items())})
    string_data.update(_filled(node, values or {}))
    return k8s.core.v1.Secret(
        node.name,
        metadata=obj["metadata"],
        type=obj.get("type"),
        immutable=obj.get("immutable"),
        # The rendered non-generated keys (a client id) are secret too: nothing of a Secret is shown in plain text.
        data=pulumi.Output.secret(data) if data else None,
        string_data=pulumi.Output.secret(string_data),
        opts=pulumi.ResourceOptions(parent=owner, provider=provider, depends_on=deps),
    )


def _group(
    node: Node, owner: PlatformResource, provider: k8s.Provider, deps: list[pulumi.Resource]
) -> k8s.yaml.v2.ConfigGroup:
    return k8s.yaml.v2.ConfigGroup(
        node.name,
        objs=node.objects,
        # Children named by identity (prefix-namespace/name), not by the group: a wave change keeps every URN.
        resource_prefix=node.prefix,
        # skipAwait only for waves whose gates are empty (stacks/plan.py): readiness elsewhere is the provider's.
        skip_await=node.skip_await or None,
        opts=pulumi.ResourceOptions(
            parent=owner,
            provider=provider,
            depends_on=deps,
            # CRDs, volumes, namespaces holding them, team Profiles: `pulumi destroy` leaves user data in place.
            retain_on_delete=node.retained or None,
        ),
    )


def deploy(cfg: StackConfig, renderer: Renderer = default_renderer) -> Deployed:
    spec = load_spec(cfg.profile, extra=cfg.spec)
    cloud = wanted(cfg.cluster, spec)  # a mismatched kubeforge:cluster stops before the render
    if cloud is None and (spec.data.database.managed or spec.data.artifacts.managed):
        raise BadInput(
            f"the spec's data services are managed ({spec.data.database.provider}, {spec.data.artifacts.provider}): "
            f"the stack creates them with the cluster, set kubeforge:cluster {spec.cloud.provider}",
            field="kubeforge:cluster",
        )
    render = renderer(spec)
    objects = render.objects
    plan = plan_stack(render, objects)
    cluster = create_cluster(cloud, spec) if cloud else None
    data = create_data(spec, cluster) if cluster is not None else None
    values = data.values if data is not None else {}
    context, kubeconfig = kube_target(cfg, spec.cluster.context, spec.cluster.kubeconfig)
    if cluster is not None:
        provider, context = cluster.provider, None  # the cluster's own provider: applied after its node pools
    else:
        provider = k8s.Provider(
            "kubernetes",
            context=context,
            kubeconfig=kubeconfig,
            **PROVIDER_SETTINGS,  # field manager: every object carries pulumi.com/patchFieldManager=kubeforge
            delete_unreachable=spec.is_kind or None,  # a deleted kind cluster must not block `make down`
        )
    owners = {o.key: make_owner(o, provider) for o in plan.owners}
    resources: dict[str, pulumi.Resource] = {}
    passwords: dict[str, random.RandomPassword] = {}
    for node in plan.nodes:
        owner = owners[node.owner.key]
        deps = [resources[d] for d in node.depends_on]
        if node.stack_values and data is not None:
            deps.append(data)  # the database exists (and has its host) before anything reads it
        if node.is_secret and node.objects[0].get("kind") == "ConfigMap":
            resources[node.name] = _config_map(node, owner, provider, deps, values)
        elif node.is_secret:
            resources[node.name] = _secret(node, owner, provider, deps, passwords, values)
        else:
            resources[node.name] = _group(node, owner, provider, deps)

    url = dashboard_url(spec)
    issuer = dex_issuer(objects)
    for owner in owners.values():
        comps = sorted({n.component for n in plan.nodes if n.owner.key == owner.owner.key})
        if owner.owner.kind == "ClusterBase":
            owner.finish({"dashboardUrl": url, "dexIssuer": issuer, "versions": {c: plan.versions[c] for c in comps}})
        elif owner.owner.kind == "Team":
            owner.finish({"namespaces": plan.team_namespaces.get(owner.owner.name, [])})
        else:
            owner.finish({"version": plan.versions.get(owner.owner.name, "kubeforge")})

    logins = {g[len(DEX_USER_PREFIX) :]: pw.result for g, pw in sorted(passwords.items()) if is_login_password(g)}
    exports: dict[str, Any] = {
        "profile": spec.profile,
        "release": spec.release,  # what playbooks/upgrade-platform.yml reads as the stack's current release
        "dashboardUrl": url,
        "dexIssuer": issuer,
        "componentVersions": plan.versions,
        "teamNamespaces": plan.team_namespaces,
        "kubeContext": context,
    }
    if cluster is not None:
        exports["cluster"] = cloud
        exports["kubeconfig"] = cluster.kubeconfig  # secret: `pulumi stack output kubeconfig --show-secrets`
    if data is not None:
        exports["data"] = data.exports
    if logins and spec.is_kind:
        first = next(iter(logins))
        exports["dexUser"] = first
        exports["dexPassword"] = pulumi.Output.secret(logins[first])
        exports["dexPasswords"] = pulumi.Output.secret(logins)
    for key, value in exports.items():
        pulumi.export(key, value)
    return Deployed(spec, render, objects, plan, provider, owners, resources, passwords, exports, cluster, data)


def main() -> None:
    conf = pulumi.Config("kubeforge")
    deploy(read_config(conf.get, conf.get_object))
