"""The Pulumi program under mocks, for the kind and production profiles: what the engine would be sent."""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from typing import Any

import pytest

from kubeforge.k8s import KObj, ident
from kubeforge.kind import INGRESS_NODE_PORT, kind_cluster_config
from kubeforge.names import TEAMS_COMPONENT
from stacks.generated import PLACEHOLDER_HASH, PLACEHOLDER_PREFIX, UPSTREAM_DEFAULT_HASH, generated_secrets
from stacks.mocked import MockedRun, Registration, fake_bcrypt, fake_password, is_secret, plain_strings, unwrap
from stacks.plan import CLUSTER_BASE, WAIT_FOR_READY, without_pulumi_annotations

GROUP = "kubernetes:yaml/v2:ConfigGroup"
SECRET = "kubernetes:core/v1:Secret"
RANDOM = "random:index/randomPassword:RandomPassword"
PROVIDER = "pulumi:providers:kubernetes"


def no_nulls(value: Any) -> Any:
    """Pulumi drops null-valued keys from inputs (the API server treats them as absent too)."""
    if isinstance(value, dict):
        return {k: no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [no_nulls(v) for v in value]
    return value


def nodes(run: MockedRun) -> list[Registration]:
    return [r for r in run.registrations if r.type in (GROUP, SECRET)]


def objects_of(reg: Registration) -> list[KObj]:
    if reg.type == GROUP:
        objs: list[KObj] = reg.inputs["objs"]
        return objs
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        **{k: unwrap(v) for k, v in reg.inputs.items() if k not in ("apiVersion", "kind")},
    }
    return [obj]


def wave_of_node(run: MockedRun) -> dict[str, int]:
    index = {ident(o): i for i, o in enumerate(run.deployed.objects)}
    out = {}
    for reg in nodes(run):
        waves = {run.deployed.render.waves.wave_of[index[ident(o)]] for o in objects_of(reg)}
        assert len(waves) == 1, f"{reg.name} mixes waves {sorted(waves)}"
        out[reg.urn] = waves.pop()
    return out


def closure(run: MockedRun) -> dict[str, set[str]]:
    deps = {r.urn: set(r.dependencies) for r in run.registrations}
    memo: dict[str, set[str]] = {}

    def reach(urn: str) -> set[str]:
        if urn not in memo:
            memo[urn] = set()
            out: set[str] = set()
            for d in deps.get(urn, ()):
                out |= {d} | reach(d)
            memo[urn] = out
        return memo[urn]

    return {urn: reach(urn) for urn in deps}


# --- content ---------------------------------------------------------------------------------------
def test_every_rendered_object_is_in_exactly_one_config_group_unchanged(run: MockedRun) -> None:
    rendered = run.deployed.objects
    generated = {ident(rendered[i]) for i in generated_secrets(rendered)}
    by_ident = {ident(o): o for o in rendered}
    assert len(by_ident) == len(rendered)
    in_groups: Counter[str] = Counter()
    for reg in run.of_type(GROUP):
        for obj in reg.inputs["objs"]:
            in_groups[ident(obj)] += 1
            assert without_pulumi_annotations(obj) == no_nulls(by_ident[ident(obj)]), ident(obj)
    typed = Counter(ident(objects_of(r)[0]) for r in run.of_type(SECRET))
    for key in by_ident:
        if key in generated:
            assert (in_groups[key], typed[key]) == (0, 1), key
        else:
            assert (in_groups[key], typed[key]) == (1, 0), key
    assert set(in_groups) | set(typed) == set(by_ident)  # nothing applied that the render does not have


def test_generated_secrets_keep_every_rendered_field_but_the_generated_values(run: MockedRun) -> None:
    rendered = run.deployed.objects
    generated = {ident(rendered[i]): keys for i, keys in generated_secrets(rendered).items()}
    assert generated, "the render has upstream's hard-coded credentials: they must be generated"
    for reg in run.of_type(SECRET):
        applied = objects_of(reg)[0]
        source = next(o for o in rendered if ident(o) == ident(applied))
        keys = generated[ident(applied)]
        assert without_pulumi_annotations(applied)["metadata"] == no_nulls(source["metadata"])
        assert applied.get("type") == source.get("type")
        kept = {k: v for k, v in (source.get("data") or {}).items() if k not in keys}
        assert (applied.get("data") or {}) == kept
        assert set(applied["stringData"]) == set(keys) | (set(source.get("stringData") or {}))
        assert is_secret(reg.inputs["stringData"])


def test_the_oidc_client_secret_is_one_value_shared_by_dex_and_oauth2_proxy(run: MockedRun) -> None:
    secrets = {objects_of(r)[0]["metadata"]["name"]: objects_of(r)[0] for r in run.of_type(SECRET)}
    proxy = next(v for k, v in secrets.items() if k.startswith("oauth2-proxy"))
    shared = fake_password("password-oidc-client-secret")
    assert secrets["dex-oidc-client"]["stringData"]["OIDC_CLIENT_SECRET"] == shared
    assert proxy["stringData"]["client-secret"] == shared
    assert len(proxy["stringData"]["cookie-secret"]) == len(fake_password("password-oauth2-proxy-cookie-secret"))
    assert [r.inputs["length"] for r in run.of_type(RANDOM)] == [32] * len(run.of_type(RANDOM))


def test_kind_dex_password_is_generated_bcrypted_and_a_secret_output(kind_run: MockedRun) -> None:
    dex = next(
        objects_of(r)[0] for r in kind_run.of_type(SECRET) if objects_of(r)[0]["metadata"]["name"] == "dex-passwords"
    )
    assert set(dex["stringData"].values()) == {fake_bcrypt("password-dex-user-user@example.com")}
    assert PLACEHOLDER_HASH not in str(kind_run.registrations)
    assert kind_run.exports["dexUser"] == "user@example.com"
    assert is_secret(kind_run.exports["dexPassword"])
    assert kind_run.exports["dexPassword"]["value"] == fake_password("password-dex-user-user@example.com")


# Upstream 26.03's literal credentials (oauth2-proxy/Dex client secret, cookie secret, SeaweedFS key, Dex hash).
UPSTREAM_LITERALS = {
    "pUBnBOY80SnXgjibTYM9ZWNzY2xreNGQok",
    "7d16fee92f8d11b8940b081b3f8b8acb",
    "minio123",
    UPSTREAM_DEFAULT_HASH,
}


def all_strings(value: Any) -> list[str]:
    return list(plain_strings(unwrap(value)))


def test_no_secret_value_in_plain_text(run: MockedRun) -> None:
    secret_values = {fake_password(r.name) for r in run.of_type(RANDOM)} | {
        fake_bcrypt(r.name) for r in run.of_type(RANDOM)
    }
    secret_values |= UPSTREAM_LITERALS | {base64.b64encode(v.encode()).decode() for v in UPSTREAM_LITERALS}
    seen = [s for r in run.registrations for s in plain_strings(r.inputs)]
    seen += [s for out in run.outputs.values() for s in plain_strings(out)]
    seen += list(plain_strings(run.exports))
    assert {v for v in secret_values for s in seen if v in s} == set()


def test_no_placeholder_and_no_upstream_literal_is_applied_even_as_a_secret(run: MockedRun) -> None:
    everything = [s for r in run.registrations for s in all_strings(r.inputs)]
    banned = UPSTREAM_LITERALS | {PLACEHOLDER_HASH, PLACEHOLDER_PREFIX}
    assert {b for b in banned for s in everything if b in s} == set()


# --- order -------------------------------------------------------------------------------------------
def test_each_group_holds_one_wave_and_later_waves_depend_on_every_earlier_group(run: MockedRun) -> None:
    waves = wave_of_node(run)
    reach = closure(run)
    team_of = {r.urn: r.parent for r in nodes(run) if ":Team::" in r.parent}
    platform = [u for u in waves if u not in team_of]
    for b in platform:
        for a in platform:
            if waves[a] < waves[b]:
                assert a in reach[b], f"{b} (wave {waves[b]}) does not wait for {a} (wave {waves[a]})"
    for b, team in team_of.items():
        for a in platform:
            assert a in reach[b], f"team group {b} does not wait for platform group {a}"
        for a, other in team_of.items():
            if other == team and waves[a] < waves[b]:
                assert a in reach[b]
            if other != team:
                assert a not in reach[b], "teams never wait for each other"


def test_groups_wait_for_the_generated_secrets_their_pods_read(run: MockedRun) -> None:
    waves = wave_of_node(run)

    def comp(reg: Registration) -> str:
        return str(objects_of(reg)[0]["metadata"]["labels"]["kubeforge.io/component"])

    checked = 0
    for secret in run.of_type(SECRET):
        for group in run.of_type(GROUP):
            if (comp(group), group.parent, waves[group.urn]) == (comp(secret), secret.parent, waves[secret.urn]):
                assert secret.urn in group.dependencies, (group.name, group.parent, secret.name, secret.parent)
                checked += 1
    assert checked


def test_skip_await_only_in_waves_without_gates_and_ready_waits_for_cert_manager(run: MockedRun) -> None:
    waves = wave_of_node(run)
    gates = {w.index: w.gates for w in run.deployed.render.waves.waves}
    for reg in run.of_type(GROUP):
        assert bool(reg.inputs.get("skipAwait")) == (not gates[waves[reg.urn]]), reg.name
        for obj in reg.inputs["objs"]:
            annotations = obj["metadata"]["annotations"]
            assert annotations["pulumi.com/patchFieldManager"] == "kubeforge"
            ready = obj["kind"] in WAIT_FOR_READY and obj["apiVersion"].startswith("cert-manager.io/")
            assert ("pulumi.com/waitFor" in annotations) == ready


# --- structure --------------------------------------------------------------------------------------------
def test_no_duplicate_urn(run: MockedRun) -> None:
    urns = Counter(r.urn for r in run.registrations)
    assert [u for u, n in urns.items() if n > 1] == []


def test_groups_are_parented_to_their_component_resource_and_use_the_explicit_provider(run: MockedRun) -> None:
    by_urn = {r.urn: r for r in run.registrations}
    provider = run.of_type(PROVIDER)
    assert len(provider) == 1
    for reg in nodes(run):
        parent = by_urn[reg.parent]
        comps = {o["metadata"]["labels"]["kubeforge.io/component"] for o in objects_of(reg)}
        assert len(comps) == 1
        comp = comps.pop()
        if comp in CLUSTER_BASE:
            assert parent.type == "kubeforge:platform:ClusterBase"
        elif comp == TEAMS_COMPONENT and parent.type == "kubeforge:platform:Team":
            assert {o["metadata"].get("namespace") or o["metadata"]["name"] for o in objects_of(reg)} == {parent.name}
        else:
            assert (parent.type, parent.name) == ("kubeforge:platform:Component", comp)
        assert reg.provider.startswith(provider[0].urn), reg.name
    for reg in run.registrations:
        if reg.type.startswith("kubeforge:platform:"):
            assert reg.providers == {"kubernetes": f"{provider[0].urn}::kubernetes-id"}


def test_every_team_is_a_team_component_with_its_namespace_as_output(run: MockedRun) -> None:
    teams = {t.name for t in run.deployed.spec.teams}
    assert teams
    regs = {r.name: r for r in run.of_type("kubeforge:platform:Team")}
    assert set(regs) == teams
    for name, reg in regs.items():
        assert run.outputs[reg.urn]["namespaces"] == [name]
    assert run.exports["teamNamespaces"] == {t: [t] for t in teams}


def test_stateful_objects_are_retained_on_delete_and_nothing_else(run: MockedRun) -> None:
    teams = {t.name for t in run.deployed.spec.teams}
    pvc_namespaces = {o["metadata"]["namespace"] for o in run.deployed.objects if o["kind"] == "PersistentVolumeClaim"}
    for reg in run.of_type(GROUP):
        for obj in reg.inputs["objs"]:
            kind, name = obj["kind"], obj["metadata"]["name"]
            must = kind in ("CustomResourceDefinition", "PersistentVolumeClaim", "PersistentVolume", "Profile") or (
                kind == "Namespace" and (name in teams or name in pvc_namespaces)
            )
            assert reg.retain_on_delete == must or (reg.retain_on_delete and kind in ("Namespace", "StatefulSet")), (
                reg.name,
                kind,
                name,
            )
    assert any(r.retain_on_delete for r in run.of_type(GROUP))
    assert not any(r.retain_on_delete for r in run.of_type(SECRET))


def test_outputs_of_cluster_base_and_stack(run: MockedRun) -> None:
    base = run.of_type("kubeforge:platform:ClusterBase")
    assert len(base) == 1
    outputs = run.outputs[base[0].urn]
    spec = run.deployed.spec
    assert outputs["dashboardUrl"] == run.exports["dashboardUrl"]
    assert spec.ingress.host in outputs["dashboardUrl"]
    assert outputs["dexIssuer"] == "http://dex.auth.svc.cluster.local:5556/dex"  # Dex's in-cluster issuer
    assert set(outputs["versions"]) == set(CLUSTER_BASE)
    assert run.exports["componentVersions"]["dex"] == run.deployed.render.version_of("dex")
    assert run.exports["release"] == run.deployed.spec.release  # read by playbooks/upgrade-platform.yml
    for reg in run.of_type("kubeforge:platform:Component"):
        assert run.outputs[reg.urn]["version"] == run.deployed.render.version_of(reg.name)


def test_provider_targets_the_configured_cluster(kind_run: MockedRun, production_run: MockedRun) -> None:
    kind = kind_run.of_type(PROVIDER)[0].inputs
    assert kind["context"] == "kind-kubeflow"
    assert kind["deleteUnreachable"] == "true"  # provider inputs travel as JSON strings
    prod = production_run.of_type(PROVIDER)[0].inputs
    assert (prod["context"], prod["kubeconfig"]) == ("prod-admin", "/tmp/kubeconfig")
    assert "deleteUnreachable" not in prod
    for setting in ("enableServerSideApply", "enableSecretMutable", "enableConfigMapMutable"):
        assert kind[setting] == prod[setting] == "true", setting  # a changed Secret is updated, not replaced
    assert "dexPassword" not in production_run.exports


def test_stack_config_spec_overrides_reach_the_render(production_run: MockedRun) -> None:
    assert production_run.deployed.spec.ingress.host == "ml.corp.example"
    assert production_run.exports["dashboardUrl"] == "https://ml.corp.example/"


def test_kind_ingress_service_is_the_node_port_the_kind_config_maps(kind_run: MockedRun) -> None:
    svc = next(
        o
        for r in kind_run.of_type(GROUP)
        for o in r.inputs["objs"]
        if o["kind"] == "Service" and o["metadata"]["name"] == "istio-ingressgateway"
    )
    assert svc["spec"]["type"] == "NodePort"
    https = next(p for p in svc["spec"]["ports"] if p["port"] == 443)
    config = kind_cluster_config(kind_run.deployed.spec, kind_run.deployed.render.lock)
    mapping = config["nodes"][0]["extraPortMappings"][0]
    assert https["nodePort"] == mapping["containerPort"] == INGRESS_NODE_PORT
    assert mapping["hostPort"] == kind_run.deployed.spec.ingress.port
    # The render carries the kind patch itself: the stack applies the render unchanged (one render path).
    diff = [
        ident(a) for a, b in zip(kind_run.deployed.objects, kind_run.deployed.render.objects, strict=True) if a != b
    ]
    assert diff == []


def test_groups_are_named_by_component_and_step_and_children_by_identity(run: MockedRun) -> None:
    waves = wave_of_node(run)
    per_owner: dict[str, list[str]] = defaultdict(list)
    for reg in run.of_type(GROUP):
        per_owner[reg.parent].append(reg.name)
        prefix = reg.inputs["resourcePrefix"]
        # The step: the group's rank among its component's own waves, never the global wave number.
        same = sorted({waves[r.urn] for r in run.of_type(GROUP) if r.inputs["resourcePrefix"] == prefix})
        step = same.index(waves[reg.urn]) + 1
        assert reg.name in (f"{prefix}-{step}", f"{prefix}-{step}-retained"), (reg.name, prefix, step)
        assert prefix == reg.name.rsplit("-", 2 if reg.name.endswith("-retained") else 1)[0]
    assert all(len(names) == len(set(names)) for names in per_owner.values())


@pytest.mark.parametrize("bad", [{"teams": "not-a-list"}])
def test_bad_spec_in_stack_config_fails_before_anything_is_registered(renderer: Any, bad: dict[str, Any]) -> None:
    from kubeforge.errors import BadInput
    from stacks.config import StackConfig
    from stacks.mocked import run_mocked

    with pytest.raises(BadInput, match="teams"):
        run_mocked(StackConfig("kind", bad), renderer)
