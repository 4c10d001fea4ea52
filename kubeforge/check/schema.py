"""Strict Kubernetes OpenAPI validation with kubernetes-validate's shipped schema files.

`kubernetes_validate.validate` re-reads a 1.5 MB definitions file per object (120-200 objects/s);
here the definitions are loaded once per Kubernetes version into a `referencing` registry and one
validator per (apiVersion, kind) is built and reused.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from referencing import Registry, Resource

from kubeforge.check.fastcheck import Check, Compiler
from kubeforge.check.report import error_findings
from kubeforge.errors import BadInput
from kubeforge.findings import Finding
from kubeforge.k8s import KObj, ident

RULE_OPENAPI = "schema/openapi"
SCHEMA_ROOT = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
DEFS_ID = "https://kubernetes.io/api/_definitions.json"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_DIR_RE = re.compile(r"^v(\d+)\.(\d+)\.\d+-local-strict$")
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")
# Meta kinds listed under every group: never objects one applies.
_NOT_OBJECTS = frozenset({"DeleteOptions", "WatchEvent", "Status", "APIGroup", "APIResourceList"})


def split_api_version(api_version: str) -> tuple[str, str]:
    """`apps/v1` -> (`apps`, `v1`); core `v1` -> (``, `v1`)."""
    group, _, version = api_version.rpartition("/")
    return group, version


def shipped_versions() -> list[str]:
    """Kubernetes minor versions with strict schemas in the installed kubernetes-validate, oldest first."""
    found = []
    for entry in SCHEMA_ROOT.iterdir():
        m = _DIR_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
    return [f"{major}.{minor}" for major, minor in sorted(found)]


def schema_dir(k8s_version: str) -> Path:
    """The strict schema directory for "1.34" (also "v1.34", "1.34.2"); BadInput if not shipped."""
    m = _VERSION_RE.match(k8s_version.strip())
    shipped = shipped_versions()
    if not m or f"{m.group(1)}.{m.group(2)}" not in shipped:
        raise BadInput(
            f"Kubernetes version {k8s_version!r} has no shipped schema "
            f"(kubernetes-validate {kubernetes_validate.__version__} ships {shipped[0]} to {shipped[-1]})",
            field="kubernetes.version",
        )
    return SCHEMA_ROOT / f"v{m.group(1)}.{m.group(2)}.0-local-strict"


class OpenAPISchemas:
    """The built-in object schemas of one Kubernetes version, strict (unknown fields are errors)."""

    def __init__(self, k8s_version: str) -> None:
        directory = schema_dir(k8s_version)
        self.version = directory.name[1:].rsplit(".", 1)[0]
        definitions = json.loads((directory / "_definitions.json").read_text())
        self._registry: Registry[Any] = Registry().with_resource(DEFS_ID, Resource.from_contents(definitions))
        # (group, version, kind) -> definition name, from the schemas' own GVK tags: exact, unlike
        # kubernetes-validate's file names, which drop the group's domain (networking.istio.io == networking.k8s.io).
        self._gvk: dict[tuple[str, str, str], str] = {}
        for name, schema in definitions["$defs"].items():
            for gvk in schema.get("x-kubernetes-group-version-kind", []):
                if gvk["kind"] not in _NOT_OBJECTS:
                    self._gvk[(gvk["group"], gvk["version"], gvk["kind"])] = name
        self._validators: dict[str, Any] = {}
        self._fast = Compiler(definitions["$defs"], ref_prefixes=("#/$defs/", f"{DEFS_ID}#/$defs/"))

    def knows(self, api_version: str, kind: str) -> bool:
        group, version = split_api_version(api_version)
        return (group, version, kind) in self._gvk

    def api_versions_of(self, group: str, kind: str) -> list[str]:
        """Every apiVersion this Kubernetes version serves `kind` of `group` in (for hints)."""
        return sorted(f"{g}/{v}" if g else v for g, v, k in self._gvk if g == group and k == kind)

    def definition_validator(self, name: str) -> Any:
        """A cached validator for one definition, e.g. OBJECT_META."""
        validator = self._validators.get(name)
        if validator is None:
            validator = jsonschema.Draft202012Validator({"$ref": f"{DEFS_ID}#/$defs/{name}"}, registry=self._registry)
            self._validators[name] = validator
        return validator

    def fast_check(self, name: str) -> Check:
        """The compiled yes/no check for one definition (see fastcheck): jsonschema runs only on a no."""
        return self._fast.ref(name)

    def validate(self, obj: KObj) -> list[Finding]:
        """Every schema error of a built-in object; call only where `knows()` holds."""
        group, version = split_api_version(str(obj["apiVersion"]))
        name = self._gvk[(group, version, str(obj["kind"]))]
        if self.fast_check(name)(obj):
            return []
        errors = self.definition_validator(name).iter_errors(obj)
        return error_findings(errors, rule=RULE_OPENAPI, object_id=ident(obj))

    def validate_metadata(self, obj: KObj) -> list[Finding]:
        """Custom resources' metadata is plain ObjectMeta: check it with the built-in schema."""
        meta = obj.get("metadata")
        if self.fast_check(OBJECT_META)(meta):
            return []
        errors = self.definition_validator(OBJECT_META).iter_errors(meta)
        return error_findings(errors, rule=RULE_OPENAPI, object_id=ident(obj), path_prefix="metadata")


@cache
def openapi_schemas(k8s_version: str) -> OpenAPISchemas:
    """One loaded schema set per Kubernetes version for the life of the process."""
    return OpenAPISchemas(k8s_version)
