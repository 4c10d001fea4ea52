"""Schema validation of a rendered object list: built-in kinds, then CRDs from the same list."""

from __future__ import annotations

from kubeforge.check.crd import CRDIndex
from kubeforge.check.schema import OpenAPISchemas, openapi_schemas, split_api_version
from kubeforge.findings import Finding
from kubeforge.k8s import KObj, ident

RULE_UNKNOWN_KIND = "schema/unknown-kind"


def validate_objects(objects: list[KObj], k8s_version: str) -> list[Finding]:
    """Every schema problem of every object, sorted; BadInput if `k8s_version` has no shipped schema."""
    schemas = openapi_schemas(k8s_version)
    crds = CRDIndex.from_objects(objects)
    findings = list(crds.findings)
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            findings.append(Finding(RULE_UNKNOWN_KIND, "error", f"<item {index}>", "not a mapping"))
            continue
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
            findings.append(
                Finding(RULE_UNKNOWN_KIND, "error", ident(obj), "object has no apiVersion and kind strings")
            )
        elif schemas.knows(api_version, kind):
            findings.extend(schemas.validate(obj))
        elif crds.lookup(api_version, kind) is not None:
            findings.extend(crds.validate(obj))
            findings.extend(schemas.validate_metadata(obj))
        else:
            findings.append(
                Finding(RULE_UNKNOWN_KIND, "error", ident(obj), _unknown_kind(api_version, kind, schemas, crds))
            )
    return sorted(findings)


def _unknown_kind(api_version: str, kind: str, schemas: OpenAPISchemas, crds: CRDIndex) -> str:
    """Say what would have been accepted: a served version of the same kind, if any."""
    group, _ = split_api_version(api_version)
    builtin = schemas.api_versions_of(group, kind)
    if builtin:
        return f"{kind} {api_version} is not served by Kubernetes {schemas.version} (served: {', '.join(builtin)})"
    if crds.defines(group, kind):
        served = crds.served_versions(group, kind)
        return f"the CRD for {kind}.{group} does not serve {api_version} (served: {', '.join(served) or 'none'})"
    return (
        f"no schema for {kind} {api_version}: not built into Kubernetes {schemas.version} "
        "and no CustomResourceDefinition in the set defines it"
    )
