"""Custom resources checked against the CRDs in the same object list.

Each served version's `openAPIV3Schema` is converted to JSON Schema (Draft 4 semantics match
OpenAPI v3.0's boolean exclusiveMinimum/Maximum). The API server *prunes* fields a structural
schema does not specify instead of rejecting them; kubeforge reports them as errors anyway,
because a field that would silently vanish means the render is not what was meant.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from kubeforge.check.fastcheck import Check, Compiler
from kubeforge.check.report import error_findings
from kubeforge.check.schema import split_api_version
from kubeforge.findings import Finding, json_path
from kubeforge.k8s import KObj, ident

RULE_CRD = "schema/crd"
RULE_CEL = "schema/cel-not-checked"
CRD_API_VERSION = "apiextensions.k8s.io/v1"
CEL_KEYWORD = "x-kubeforge-cel"

# Keywords a structural schema may carry that mean the same in JSON Schema Draft 4.
_PLAIN_KEYWORDS = (
    "type",
    "enum",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "required",
)
_INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]


def _cel_keyword(validator: Any, rules: list[str], instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    """Marks every CEL rule the instance reaches; split off as info findings, never as failures."""
    for rule in rules:
        yield ValidationError(rule)


_CRDValidator = jsonschema.validators.extend(jsonschema.Draft4Validator, {CEL_KEYWORD: _cel_keyword})


def _convert(node: Any, *, structural: bool, root: bool = False) -> dict[str, Any]:
    """One node of openAPIV3Schema as JSON Schema; `structural` is False inside allOf/anyOf/oneOf/not,
    whose branches only add value checks and must not prune (no additionalProperties there)."""
    if not isinstance(node, dict):
        return {}
    out: dict[str, Any] = {k: node[k] for k in _PLAIN_KEYWORDS if k in node}
    if "properties" in node:
        out["properties"] = {k: _convert(v, structural=structural) for k, v in node["properties"].items()}
    items = node.get("items")
    if isinstance(items, dict):
        out["items"] = _convert(items, structural=structural)
    elif isinstance(items, list):
        out["items"] = [_convert(i, structural=structural) for i in items]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out["additionalProperties"] = _convert(extra, structural=structural)
    elif isinstance(extra, bool):
        out["additionalProperties"] = extra
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            out[key] = [_convert(b, structural=False) for b in node[key]]
    if isinstance(node.get("not"), dict):
        out["not"] = _convert(node["not"], structural=False)

    nullable = node.get("nullable") is True
    if node.get("x-kubernetes-int-or-string") is True:
        out.pop("type", None)
        given = out.pop("anyOf", None)
        # controller-gen writes the integer/string pair itself; anything else still applies, via allOf.
        if given is not None and given != _INT_OR_STRING:
            out.setdefault("allOf", []).append({"anyOf": given})
        out["anyOf"] = [*_INT_OR_STRING, {"type": "null"}] if nullable else list(_INT_OR_STRING)
    elif nullable and "type" in out:
        out["type"] = [out["type"], "null"]
    if nullable and "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]

    if node.get("x-kubernetes-embedded-resource") is True or root:
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        # metadata is ObjectMeta whatever the CRD says; the built-in schema checks it (validate.py).
        props["metadata"] = {"type": "object"}

    if structural:
        is_object = out.get("type") in ("object", ["object", "null"]) or "properties" in out
        # Unspecified fields are pruned by the API server unless preserve-unknown-fields is set here.
        if is_object and "additionalProperties" not in out and not node.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        rules = [
            str(r["rule"]) for r in node.get("x-kubernetes-validations") or [] if isinstance(r, dict) and "rule" in r
        ]
        if rules:
            out[CEL_KEYWORD] = rules
    return out


def crd_to_json_schema(open_api_v3_schema: dict[str, Any]) -> dict[str, Any]:
    """A CRD version's `openAPIV3Schema` as a JSON Schema (with CEL rules under `x-kubeforge-cel`)."""
    return _convert(open_api_v3_schema, structural=True, root=True)


@dataclass
class CRDVersion:
    """One served version of one CRD; converted and compiled on first use, as most CRDs in a
    render have no custom resource beside them and conversion is the costly part."""

    crd: str  # ident of the CustomResourceDefinition
    group: str
    kind: str
    version: str
    raw: dict[str, Any]  # the openAPIV3Schema as written
    _compiled: tuple[Any, Check, set[str]] | None = field(default=None, repr=False)

    def compiled(self) -> tuple[Any, Check, set[str]]:
        """(jsonschema validator, fast yes/no check, set the fast check fills with reached CEL rules)."""
        if self._compiled is None:
            schema = crd_to_json_schema(self.raw)
            reached: set[str] = set()
            fast = Compiler(draft4=True, cel_keyword=CEL_KEYWORD, cel_hook=reached.update).compile(schema)
            self._compiled = (_CRDValidator(schema), fast, reached)
        return self._compiled


class CRDIndex:
    """The CRDs of one object list, by (group, version, kind); CEL notes deduplicated per CRD."""

    def __init__(self, crds: Iterable[KObj]) -> None:
        self.findings: list[Finding] = []  # problems with the CRDs themselves
        self._versions: dict[tuple[str, str, str], CRDVersion] = {}
        self._all_versions: dict[tuple[str, str], list[str]] = {}
        self._cel_seen: set[tuple[str, str]] = set()
        for crd in crds:
            self._add(crd)

    @classmethod
    def from_objects(cls, objects: Iterable[KObj]) -> CRDIndex:
        return cls(o for o in objects if is_crd(o))

    def _add(self, crd: KObj) -> None:
        spec = crd.get("spec") or {}
        group = str(spec.get("group", ""))
        kind = str((spec.get("names") or {}).get("kind", ""))
        crd_id = ident(crd)
        for ver in spec.get("versions") or []:
            if not isinstance(ver, dict):
                continue
            name = str(ver.get("name", ""))
            self._all_versions.setdefault((group, kind), []).append(name)
            if not ver.get("served", False) or (group, name, kind) in self._versions:
                continue
            raw = (ver.get("schema") or {}).get("openAPIV3Schema")
            if not isinstance(raw, dict):
                self.findings.append(
                    Finding(RULE_CRD, "error", crd_id, f"version {name} has no openAPIV3Schema", "spec.versions")
                )
                raw = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            self._versions[(group, name, kind)] = CRDVersion(crd_id, group, kind, name, raw)

    def defines(self, group: str, kind: str) -> bool:
        return (group, kind) in self._all_versions

    def lookup(self, api_version: str, kind: str) -> CRDVersion | None:
        group, version = split_api_version(api_version)
        return self._versions.get((group, version, kind))

    def served_versions(self, group: str, kind: str) -> list[str]:
        return sorted(v for g, v, k in self._versions if g == group and k == kind)

    def validate(self, obj: KObj) -> list[Finding]:
        """Schema errors of a custom resource, plus each CEL rule it reaches once per CRD (info)."""
        crd = self.lookup(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        if crd is None:
            raise KeyError(f"no served CRD version for {ident(obj)}")
        validator, fast, reached = crd.compiled()
        reached.clear()
        # Valid and no CEL rule left to report for this CRD: the exact (slow) path has nothing to add.
        if fast(obj) and all((crd.crd, rule) in self._cel_seen for rule in reached):
            return []
        obj_id = ident(obj)
        errors: list[Any] = []
        cel: list[Any] = []
        for err in validator.iter_errors(obj):
            (cel if err.validator == CEL_KEYWORD else errors).append(err)
        findings = error_findings(errors, rule=RULE_CRD, object_id=obj_id)
        for err in cel:
            if (crd.crd, err.message) not in self._cel_seen:
                self._cel_seen.add((crd.crd, err.message))
                path = json_path(err.absolute_path)
                rule = " ".join(err.message.split())
                findings.append(Finding(RULE_CEL, "info", obj_id, f"CEL rule not checked: {rule}", path))
        return findings


def is_crd(obj: KObj) -> bool:
    return obj.get("apiVersion") == CRD_API_VERSION and obj.get("kind") == "CustomResourceDefinition"
