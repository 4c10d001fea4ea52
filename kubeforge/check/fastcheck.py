"""A compiled yes/no check for the JSON Schema subset Kubernetes and CRD schemas use.

jsonschema's `iter_errors` costs about 1 ms per Deployment, mostly in its generic keyword
dispatch; this compiles a schema once into nested closures that only answer "valid?". Callers
run jsonschema only when the answer is no, so every message still comes from jsonschema. Anything
outside the subset compiles to "no", which only sends the object down the exact, slower path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema._utils import equal

Check = Callable[[Any], bool]
CelHook = Callable[[list[str]], None]

# Keywords jsonschema would enforce that this compiler does not implement: fall back to jsonschema.
_UNSUPPORTED = frozenset(
    {
        "patternProperties",
        "propertyNames",
        "dependencies",
        "dependentRequired",
        "dependentSchemas",
        "contains",
        "prefixItems",
        "unevaluatedItems",
        "unevaluatedProperties",
        "if",
        "const",
        "multipleOf",
        "uniqueItems",
        "$dynamicRef",
        "$recursiveRef",
        "additionalItems",
    }
)


_OBJECT_KEYWORDS = frozenset({"properties", "additionalProperties", "required", "minProperties", "maxProperties"})


def _never(_: Any) -> bool:
    return False


def _always(_: Any) -> bool:
    return True


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _type_check(types: Any, draft4: bool) -> Check:
    names = [types] if isinstance(types, str) else list(types)
    py: list[type] = []
    integer = number = False
    for name in names:
        if name == "object":
            py.append(dict)
        elif name == "array":
            py.append(list)
        elif name == "string":
            py.append(str)
        elif name == "boolean":
            py.append(bool)
        elif name == "null":
            py.append(type(None))
        elif name == "integer":
            integer = True
        elif name == "number":
            number = True
        else:
            return _never
    plain = tuple(py)

    def check(x: Any) -> bool:
        if isinstance(x, plain):
            return True
        if isinstance(x, bool):
            return False
        if number and isinstance(x, int | float):
            return True
        if integer:
            # Draft 4 counts 1.0 as a number only; 2020-12 as an integer too.
            return isinstance(x, int) or (not draft4 and isinstance(x, float) and x.is_integer())
        return False

    return check


class Compiler:
    """Compiles schemas sharing one `$defs` table; `$ref` targets are compiled once, recursion allowed."""

    def __init__(
        self,
        defs: Mapping[str, Any] | None = None,
        *,
        ref_prefixes: tuple[str, ...] = ("#/$defs/",),
        draft4: bool = False,
        cel_keyword: str | None = None,
        cel_hook: CelHook | None = None,
    ) -> None:
        self._defs = defs or {}
        self._prefixes = ref_prefixes
        self._draft4 = draft4
        self._cel_keyword = cel_keyword
        self._cel_hook = cel_hook
        self._refs: dict[str, Check] = {}

    def ref(self, name: str) -> Check:
        """The check for `$defs[name]`; a forward cell makes recursive definitions work."""
        found = self._refs.get(name)
        if found is not None:
            return found
        if name not in self._defs:
            return _never
        cell: list[Check] = []

        def forward(x: Any) -> bool:
            return cell[0](x)

        self._refs[name] = forward
        cell.append(self.compile(self._defs[name]))
        self._refs[name] = cell[0]
        return forward

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return _always
        if schema is False or not isinstance(schema, dict):
            return _never
        if _UNSUPPORTED.intersection(schema):
            return _never
        checks: list[Check] = []
        if "$ref" in schema:
            ref = str(schema["$ref"])
            prefix = next((p for p in self._prefixes if ref.startswith(p)), None)
            if prefix is None:
                return _never
            checks.append(self.ref(ref[len(prefix) :]))
            if self._draft4:  # Draft 4 ignores a $ref's sibling keywords
                return checks[0]
        if "type" in schema:
            checks.append(_type_check(schema["type"], self._draft4))
        if "enum" in schema:
            checks.append(_enum_check(list(schema["enum"])))
        obj = self._object_check(schema)
        if obj is not None:
            checks.append(obj)
        if "items" in schema:
            if not isinstance(schema["items"], dict | bool):
                return _never
            each = self.compile(schema["items"])
            checks.append(lambda x: not isinstance(x, list) or all(each(i) for i in x))
        checks.extend(_bounds_checks(schema, self._draft4))
        if "pattern" in schema:
            search = re.compile(str(schema["pattern"])).search
            checks.append(lambda x: not isinstance(x, str) or search(x) is not None)
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                branches = [self.compile(b) for b in schema[key]]
                checks.append(_combinator(key, branches))
        if "not" in schema:
            negated = self.compile(schema["not"])
            checks.append(lambda x: not negated(x))
        if self._cel_keyword and self._cel_hook and self._cel_keyword in schema:
            rules, hook = list(schema[self._cel_keyword]), self._cel_hook

            def cel(_: Any) -> bool:
                hook(rules)
                return True

            checks.append(cel)
        return _all(checks)

    def _lazy(self, table: dict[str, Check], key: str, schema: Any) -> Check:
        """Compiles on first call and replaces itself in `table`: most of a big CRD (pod templates
        inside) is never reached by the resources beside it."""

        def first(x: Any) -> bool:
            table[key] = check = self.compile(schema)
            return check(x)

        return first

    def _object_check(self, schema: dict[str, Any]) -> Check | None:
        if _OBJECT_KEYWORDS.isdisjoint(schema):
            return None
        props: dict[str, Check] = {}
        for key, sub in (schema.get("properties") or {}).items():
            props[key] = self._lazy(props, key, sub)
        extra_schema = schema.get("additionalProperties", True)
        closed = extra_schema is False
        extra = None if extra_schema is True or closed else self.compile(extra_schema)
        required = tuple(schema.get("required") or ())
        lo = schema.get("minProperties", 0)
        hi = schema.get("maxProperties")

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for key, value in x.items():
                sub = props.get(key)
                if sub is not None:
                    if not sub(value):
                        return False
                elif closed or (extra is not None and not extra(value)):
                    return False
            for key in required:
                if key not in x:
                    return False
            return lo <= len(x) and (hi is None or len(x) <= hi)

        return check


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    frozen = tuple(checks)

    def check(x: Any) -> bool:
        for c in frozen:  # noqa: SIM110 - a plain loop beats all() over a generator on this hot path
            if not c(x):
                return False
        return True

    return check


def _enum_check(values: list[Any]) -> Check:
    if all(isinstance(v, str) for v in values):
        allowed = frozenset(values)
        return lambda x: isinstance(x, str) and x in allowed
    return lambda x: any(equal(x, v) for v in values)


def _combinator(key: str, branches: list[Check]) -> Check:
    if key == "allOf":
        return _all(branches)
    if key == "anyOf":
        return lambda x: any(b(x) for b in branches)
    return lambda x: sum(1 for b in branches if b(x)) == 1


def _bounds_checks(schema: dict[str, Any], draft4: bool) -> list[Check]:
    checks: list[Check] = []
    for key, kind in (("minLength", str), ("maxLength", str), ("minItems", list), ("maxItems", list)):
        if key in schema:
            checks.append(_len_bound(int(schema[key]), key.startswith("min"), kind))
    for key, low in (("minimum", True), ("maximum", False)):
        if key in schema:
            bound = schema[key]
            excl_key = "exclusiveMinimum" if low else "exclusiveMaximum"
            strict = draft4 and schema.get(excl_key) is True
            checks.append(_number_bound(bound, low, strict))
    if not draft4:
        for key, low in (("exclusiveMinimum", True), ("exclusiveMaximum", False)):
            if key in schema:
                checks.append(_number_bound(schema[key], low, True))
    return checks


def _len_bound(bound: int, low: bool, kind: type[str] | type[list[Any]]) -> Check:
    def check(x: Any) -> bool:
        if not isinstance(x, kind):
            return True
        return len(x) >= bound if low else len(x) <= bound

    return check


def _number_bound(bound: Any, low: bool, strict: bool) -> Check:
    def check(x: Any) -> bool:
        if not _is_number(x):
            return True
        if low:
            return bool(x > bound) if strict else bool(x >= bound)
        return bool(x < bound) if strict else bool(x <= bound)

    return check
