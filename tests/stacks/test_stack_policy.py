"""The CrossGuard pack's validations, called directly on the resources the mocked program registered.

Fed as the real engine feeds a pack (seen with CLI v3.274 and pulumi-kubernetes 4.25): a yaml/v2 ConfigGroup
with no properties, each of its objects a typed child, and every props value behind pulumi_policy's
read-only proxies (under mocks the group's `objs` are visible; with the real engine they never are).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest
from policy_pack import POLICY_DIR, load_policy_module, policy_options
from pulumi_policy import (
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from kubeforge.k8s import KObj, api_group, ident
from kubeforge.policy import RULES
from stacks.mocked import MockedRun, Registration, unwrap

pack = load_policy_module("pack.py")


def _opts(reg: Registration) -> PolicyResourceOptions:
    return policy_options(reg.parent)


def _child_type(obj: KObj) -> str:
    version = str(obj["apiVersion"]).rpartition("/")[2]
    return f"kubernetes:{api_group(obj) or 'core'}/{version}:{obj['kind']}"


def as_engine_shows(registrations: list[Registration]) -> list[Registration]:
    """ConfigGroups without properties plus one typed child per object, all props behind proxies."""
    out: list[Registration] = []
    for r in registrations:
        if r.type == pack.CONFIG_GROUP:
            out.append(dataclasses.replace(r, inputs={}))
            for obj in r.inputs["objs"]:
                urn, kind = f"{r.urn}$child::{ident(obj)}", _child_type(obj)
                out.append(dataclasses.replace(r, urn=urn, type=kind, name=ident(obj), parent=r.urn, inputs=obj))
        else:
            out.append(r)
    return out


def validate_all(registrations: list[Registration], *, kind: bool) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    registrations = as_engine_shows(registrations)

    def props(r: Registration) -> Any:
        return unknown_checking_proxy(copy.deepcopy(unwrap(r.inputs)))

    resources = [PolicyResource(r.type, props(r), r.urn, r.name, _opts(r), None, None, [], {}) for r in registrations]
    for policy in pack.policies():

        def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
            found.append((name, message))

        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(resources, config={"kind": kind}), report)
        else:
            assert isinstance(policy, ResourceValidationPolicy)
            for r in registrations:
                args = ResourceValidationArgs(r.type, props(r), r.urn, r.name, _opts(r), None)
                policy.validate(args, report)
    return found


def _is_kind(run: MockedRun) -> bool:
    return run.deployed.spec.is_kind


def test_pack_passes_on_the_stack(run: MockedRun) -> None:
    assert validate_all(run.registrations, kind=_is_kind(run)) == []


def test_pack_runs_every_engine_rule_and_the_stack_rule() -> None:
    names = [p.name for p in pack.policies()]
    assert [f"kubeforge-{r.id.lower()}" for r in RULES] + ["kubeforge-field-manager"] == names


def test_kind_policy_config_names_every_engine_rule() -> None:
    config = json.loads((POLICY_DIR / "kind.json").read_text())
    assert config == {f"kubeforge-{r.id.lower()}": {"kind": True} for r in RULES}


def _planted(run: MockedRun, mutate: Any) -> list[tuple[str, str]]:
    regs = []
    planted = False
    for reg in run.registrations:
        if not planted and reg.type == pack.CONFIG_GROUP and any(o["kind"] == "Deployment" for o in reg.inputs["objs"]):
            reg = copy.deepcopy(reg)
            mutate(next(o for o in reg.inputs["objs"] if o["kind"] == "Deployment"), reg.inputs["objs"])
            planted = True
        regs.append(reg)
    assert planted
    return validate_all(regs, kind=_is_kind(run))


def test_planted_privileged_container_fails(run: MockedRun) -> None:
    def plant(dep: dict[str, Any], _objs: list[Any]) -> None:
        dep["spec"]["template"]["spec"]["containers"][0].setdefault("securityContext", {})["privileged"] = True

    assert [name for name, _ in _planted(run, plant)] == ["kubeforge-kf006"]


def test_planted_literal_secret_fails_outside_kind(production_run: MockedRun) -> None:
    def plant(dep: dict[str, Any], objs: list[Any]) -> None:
        meta = {
            "name": "db",
            "namespace": dep["metadata"]["namespace"],
            "annotations": {"pulumi.com/patchFieldManager": "kubeforge"},
        }
        objs.append(
            {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "stringData": {"MYSQL_PASSWORD": "hunter2"}}
        )

    found = _planted(production_run, plant)
    assert [name for name, _ in found] == ["kubeforge-kf008"]
    assert "hunter2" not in found[0][1]


def test_planted_object_without_the_field_manager_fails(run: MockedRun) -> None:
    def plant(dep: dict[str, Any], _objs: list[Any]) -> None:
        del dep["metadata"]["annotations"]["pulumi.com/patchFieldManager"]

    assert [name for name, _ in _planted(run, plant)] == ["kubeforge-field-manager"]


@pytest.mark.parametrize("kind", [False, True])
def test_typed_secrets_are_seen_by_the_pack(production_run: MockedRun, kind: bool) -> None:
    typed = [r for r in production_run.registrations if r.type == "kubernetes:core/v1:Secret"]
    objects = [o for r in typed for o in pack.objects_of(r.type, unknown_checking_proxy(unwrap(r.inputs)))]
    assert objects and all(o["apiVersion"] == "v1" and o["kind"] == "Secret" and o["stringData"] for o in objects)
    stripped = []
    for r in production_run.registrations:
        if r in typed:
            r = copy.deepcopy(r)
            del r.inputs["metadata"]["annotations"]["kubeforge.io/generated-secret"]
        stripped.append(r)
    # Without the engine's annotation a literal Secret is a violation outside kind, and allowed on kind.
    assert {name for name, _ in validate_all(stripped, kind=kind)} == (set() if kind else {"kubeforge-kf008"})
