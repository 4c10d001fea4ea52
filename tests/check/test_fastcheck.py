"""The compiled yes/no check must agree with jsonschema, or messages and verdicts would drift."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubeforge.check.crd import CRDIndex
from kubeforge.check.fastcheck import Compiler
from kubeforge.check.schema import openapi_schemas, split_api_version

from .conftest import K8S, deployment, kustomize
from .test_crd import CRD, widget

ODD_VALUES: list[Any] = ["two", 3, 1.5, 2.0, True, None, {}, [], {"zz": 1}, ["x"], -1, ""]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _mutants(obj: dict[str, Any], rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    paths = [p for p in _paths(obj) if p and p[0] not in ("apiVersion", "kind")]
    for _ in range(count):
        mutant = copy.deepcopy(obj)
        path = rng.choice(paths)
        parent = mutant
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.3:
            parent["bogusField"] = 1
        else:
            parent[path[-1]] = rng.choice(ODD_VALUES)
        yield mutant


def _agree(objects: list[dict[str, Any]], per_object: int = 12) -> int:
    schemas, crds, rng, checked = openapi_schemas(K8S), CRDIndex.from_objects(objects), random.Random(7), 0
    for obj in objects:
        for mutant in [obj, *_mutants(obj, rng, per_object)]:
            group, version = split_api_version(mutant["apiVersion"])
            if schemas.knows(mutant["apiVersion"], mutant["kind"]):
                name = schemas._gvk[(group, version, mutant["kind"])]
                fast = schemas.fast_check(name)(mutant)
                slow = next(iter(schemas.definition_validator(name).iter_errors(mutant)), None) is None
            elif (crd := crds.lookup(mutant["apiVersion"], mutant["kind"])) is not None:
                validator, check, _ = crd.compiled()
                fast = check(mutant)
                slow = not [e for e in validator.iter_errors(mutant) if e.validator != "x-kubeforge-cel"]
            else:
                continue
            assert fast == slow, (mutant["kind"], mutant)
            checked += 1
    return checked


def test_agrees_with_jsonschema_on_mutated_objects() -> None:
    objs = [deployment(), CRD, widget(port="http", config={"a": 1}, tuning={"rate": 1.0})]
    assert _agree(objs, per_object=60) > 150


def test_agrees_on_upstream_crds_and_workloads(manifests_2603: Path) -> None:
    objs = kustomize(manifests_2603 / "common/cert-manager/base")
    objs += kustomize(manifests_2603 / "applications/katib/upstream/installs/katib-with-kubeflow")
    assert _agree(objs) > 500


@pytest.mark.parametrize(
    ("schema", "instance", "valid"),
    [
        ({"type": "integer"}, 2.0, True),  # 2020-12: 2.0 is an integer
        ({"type": "integer"}, True, False),
        ({"enum": [1]}, True, False),
        ({"type": "string", "pattern": "^a"}, "ba", False),
        ({"oneOf": [{"type": "string"}, {"type": ["string", "null"]}]}, "x", False),
        ({"multipleOf": 2}, 4, False),  # unsupported keyword: "no", so jsonschema decides
        ({"$ref": "#/$defs/missing"}, {}, False),
    ],
)
def test_edge_cases(schema: dict[str, Any], instance: Any, valid: bool) -> None:
    assert Compiler().compile(schema)(instance) is valid


def test_draft4_integer_excludes_floats() -> None:
    assert Compiler(draft4=True).compile({"type": "integer"})(2.0) is False
