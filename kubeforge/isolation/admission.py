"""The baseline tenants cannot change: ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1)
over team namespaces. Team roles no longer write NetworkPolicies at all; this holds even for a
binding someone adds later: a NetworkPolicy in a team namespace may only allow peers the team's own
policies allow (its namespace, the platform namespaces it talks to, its allow-listed CIDRs), and a
RoleBinding there may only grant the team roles or a namespace Role.

Each team's allow-list is read from its Namespace's annotations, which no team role can write."""

from __future__ import annotations

from kubeforge.k8s import KObj, meta, obj
from kubeforge.names import CIDRS_ANNOTATION, EXCEPT_ANNOTATION, TEAM_LABEL
from kubeforge.names import NAMESPACE_NAME_LABEL as NAMESPACE_NAME
from kubeforge.spec.model import PlatformSpec

ADMISSION = "admissionregistration.k8s.io/v1"
NETWORK_POLICY = "kubeforge-team-network-baseline"
ROLE_BINDING_POLICY = "kubeforge-team-role-bindings"
EGRESS_NAMESPACES = ("istio-system", "kube-system", "kubeflow")
# monitoring: Prometheus scrapes the sidecars' merged metrics port (15020) in team namespaces.
INGRESS_NAMESPACES = ("istio-system", "knative-serving", "kubeflow", "monitoring")
TEAM_ROLES = ("kubeflow-admin", "kubeflow-edit", "kubeflow-view")


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


# A peer names its own namespace's pods, or a platform namespace by name, or an allow-listed block.
_NS_PEER = (
    "!has(p.ipBlock) && has(p.namespaceSelector) && !has(p.namespaceSelector.matchExpressions) && "
    f"has(p.namespaceSelector.matchLabels) && '{NAMESPACE_NAME}' in p.namespaceSelector.matchLabels && "
    f"p.namespaceSelector.matchLabels['{NAMESPACE_NAME}'] in {{namespaces}}"
)
_SAME_NS = "!has(p.ipBlock) && !has(p.namespaceSelector)"
_BLOCK = (
    "has(p.ipBlock) && p.ipBlock.cidr in variables.cidrs && "
    "(!(p.ipBlock.cidr in ['0.0.0.0/0', '::/0']) || "
    "(has(p.ipBlock.except) && variables.internetExcept.all(e, !(e.contains(':') == p.ipBlock.cidr.contains(':')) "
    "|| e in p.ipBlock.except)))"
)
EGRESS_OK = (
    "!has(object.spec.egress) || object.spec.egress.all(r, has(r.to) && size(r.to) > 0 && r.to.all(p, "
    f"({_SAME_NS}) || ({_NS_PEER.format(namespaces=_list(EGRESS_NAMESPACES))}) || ({_BLOCK})))"
)
INGRESS_OK = (
    "!has(object.spec.ingress) || object.spec.ingress.all(r, has(r.from) && size(r.from) > 0 && r.from.all(p, "
    f"({_SAME_NS}) || ({_NS_PEER.format(namespaces=_list(INGRESS_NAMESPACES))})))"
)


def _annotation(key: str) -> str:
    return (
        f"has(namespaceObject.metadata.annotations) && '{key}' in namespaceObject.metadata.annotations && "
        f"namespaceObject.metadata.annotations['{key}'] != '' ? "
        f"namespaceObject.metadata.annotations['{key}'].split(',') : []"
    )


def _team_namespaces() -> dict[str, object]:
    return {"matchExpressions": [{"key": TEAM_LABEL, "operator": "Exists"}]}


def _policy(name: str, resource: tuple[str, str], validations: list[dict[str, str]], **extra: object) -> KObj:
    group, plural = resource
    spec: dict[str, object] = {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "namespaceSelector": _team_namespaces(),
            "resourceRules": [
                {"apiGroups": [group], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": [plural]}
            ],
        },
        "validations": validations,
        **extra,
    }
    return obj(ADMISSION, "ValidatingAdmissionPolicy", meta(name, None, "security"), spec=spec)


def _binding(name: str) -> KObj:
    spec = {
        "policyName": name,
        "validationActions": ["Deny"],
        "matchResources": {"namespaceSelector": _team_namespaces()},
    }
    return obj(ADMISSION, "ValidatingAdmissionPolicyBinding", meta(name, None, "security"), spec=spec)


def network_policy_baseline() -> KObj:
    variables = [
        {"name": "cidrs", "expression": _annotation(CIDRS_ANNOTATION)},
        {"name": "internetExcept", "expression": _annotation(EXCEPT_ANNOTATION)},
    ]
    validations = [
        {
            "expression": EGRESS_OK,
            "reason": "Forbidden",
            "message": "egress beyond the team's allow-list (own namespace, platform services, its CIDRs)",
        },
        {
            "expression": INGRESS_OK,
            "reason": "Forbidden",
            "message": "ingress beyond the team's allow-list (own namespace, the gateways, platform callers)",
        },
    ]
    return _policy(NETWORK_POLICY, ("networking.k8s.io", "networkpolicies"), validations, variables=variables)


def role_binding_baseline() -> KObj:
    validations = [
        {
            "expression": f"object.roleRef.kind == 'Role' || object.roleRef.name in {_list(TEAM_ROLES)}",
            "reason": "Forbidden",
            "message": "a team namespace binds only kubeflow-admin, kubeflow-edit, kubeflow-view or a Role of its own",
        }
    ]
    return _policy(ROLE_BINDING_POLICY, ("rbac.authorization.k8s.io", "rolebindings"), validations)


def baseline_objects(spec: PlatformSpec) -> list[KObj]:
    """The admission policies and their bindings, once teams exist (nothing to guard otherwise)."""
    if not spec.teams:
        return []
    return [
        network_policy_baseline(),
        _binding(NETWORK_POLICY),
        role_binding_baseline(),
        _binding(ROLE_BINDING_POLICY),
    ]
