"""CrossGuard rules for the cloud clusters (stacks/clusters/): EKS, GKE and AKS resources as the engine sees them.

Each rule reads the resource's inputs (camelCase, as Pulumi sends them to the provider), so it holds for
any program, not only kubeforge's. policy/__main__.py adds these to the pack beside the platform rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"
AKS_AGENT_POOL = "azure-native:containerservice:AgentPool"
AKS_DIAGNOSTICS = "azure-native:monitor:DiagnosticSetting"

OPEN = ("0.0.0.0/0", "::/0")
GPU_TAINT_KEY = "nvidia.com/gpu"
EKS_REQUIRED_LOGS = frozenset({"api", "audit", "authenticator", "controllerManager", "scheduler"})
GKE_REQUIRED_LOGS = frozenset({"APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"})
AKS_REQUIRED_LOGS = frozenset({"kube-apiserver", "kube-audit", "kube-controller-manager", "kube-scheduler"})
# VM families with NVIDIA GPUs: EKS instance types g*/p*, AKS sizes Standard_N*.
EKS_GPU_PREFIXES = ("g", "p")
AKS_GPU_PREFIX = "standard_n"

Props = dict[str, Any]


def _get(props: Props, *path: str) -> Any:
    value: Any = props
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _open(cidrs: Any) -> bool:
    return not cidrs or any(c in OPEN for c in cidrs)


# --- public endpoint -------------------------------------------------------------------------------------
def public_endpoint(resource_type: str, props: Props) -> Iterator[str]:
    if resource_type == EKS_CLUSTER:
        vpc = props.get("vpcConfig") or {}
        # AWS's default is a public endpoint open to 0.0.0.0/0: unset means open.
        if vpc.get("endpointPublicAccess", True) and _open(vpc.get("publicAccessCidrs")):
            yield "EKS API endpoint is public to 0.0.0.0/0: set endpointPublicAccess false or publicAccessCidrs"
    elif resource_type == GKE_CLUSTER:
        private = _get(props, "privateClusterConfig", "enablePrivateEndpoint") is True
        networks = props.get("masterAuthorizedNetworksConfig")
        cidrs = [b.get("cidrBlock") for b in (networks or {}).get("cidrBlocks") or []]
        if not private and (networks is None or _open(cidrs) or networks.get("gcpPublicCidrsAccessEnabled")):
            yield "GKE API endpoint is public without authorized networks: enable the private endpoint or list CIDRs"
    elif resource_type == AKS_CLUSTER:
        access = props.get("apiServerAccessProfile") or {}
        if not access.get("enablePrivateCluster") and _open(access.get("authorizedIPRanges")):
            yield "AKS API server is public to every address: enablePrivateCluster or authorizedIpRanges"


# --- control-plane logging and secrets encryption --------------------------------------------------------
def logging_off(resource_type: str, props: Props) -> Iterator[str]:
    if resource_type == EKS_CLUSTER:
        missing = EKS_REQUIRED_LOGS - set(props.get("enabledClusterLogTypes") or [])
        if missing:
            yield f"EKS control-plane logs off: {', '.join(sorted(missing))}"
    elif resource_type == GKE_CLUSTER:
        missing = GKE_REQUIRED_LOGS - set(_get(props, "loggingConfig", "enableComponents") or [])
        if missing:
            yield f"GKE control-plane logs off: {', '.join(sorted(missing))}"


def encryption_off(resource_type: str, props: Props) -> Iterator[str]:
    if resource_type == EKS_CLUSTER:
        configs = props.get("encryptionConfig")
        configs = [configs] if isinstance(configs, dict) else configs or []
        if not any("secrets" in (c.get("resources") or []) and _get(c, "provider", "keyArn") for c in configs):
            yield "EKS secrets are not encrypted with a KMS key (encryptionConfig)"
    elif resource_type == GKE_CLUSTER:
        if _get(props, "databaseEncryption", "state") != "ENCRYPTED" or not _get(
            props, "databaseEncryption", "keyName"
        ):
            yield "GKE secrets are not encrypted with a Cloud KMS key (databaseEncryption)"
    elif resource_type == AKS_CLUSTER and _get(props, "securityProfile", "azureKeyVaultKms", "enabled") is not True:
        yield "AKS secrets are not encrypted with a Key Vault key (securityProfile.azureKeyVaultKms)"


# --- node pools -------------------------------------------------------------------------------------------
def _pools(resource_type: str, props: Props) -> Iterator[tuple[str, Props]]:
    """(pool name, pool props) for node pool resources and for AKS's in-cluster agent pool profiles."""
    if resource_type in (EKS_NODE_GROUP, GKE_NODE_POOL, AKS_AGENT_POOL):
        yield str(props.get("nodeGroupName") or props.get("agentPoolName") or props.get("name") or "pool"), props
    elif resource_type == AKS_CLUSTER:
        for profile in props.get("agentPoolProfiles") or []:
            yield str(profile.get("name") or "pool"), profile


def _is_gpu(resource_type: str, pool: Props) -> bool:
    if resource_type == EKS_NODE_GROUP:
        types = [str(t).lower() for t in pool.get("instanceTypes") or []]
        return "NVIDIA" in str(pool.get("amiType") or "") or any(t.startswith(EKS_GPU_PREFIXES) for t in types)
    if resource_type == GKE_NODE_POOL:
        return bool(_get(pool, "nodeConfig", "guestAccelerators"))
    return str(pool.get("vmSize") or "").lower().startswith(AKS_GPU_PREFIX) or bool(pool.get("gpuProfile"))


def _has_gpu_taint(resource_type: str, pool: Props) -> bool:
    if resource_type == EKS_NODE_GROUP:
        return any(t.get("key") == GPU_TAINT_KEY and t.get("effect") == "NO_SCHEDULE" for t in pool.get("taints") or [])
    if resource_type == GKE_NODE_POOL:
        taints = _get(pool, "nodeConfig", "taints") or []
        return any(t.get("key") == GPU_TAINT_KEY and t.get("effect") == "NO_SCHEDULE" for t in taints)
    return any(
        str(t).startswith(f"{GPU_TAINT_KEY}=") and str(t).endswith(":NoSchedule") for t in pool.get("nodeTaints") or []
    )


def gpu_pool_untainted(resource_type: str, props: Props) -> Iterator[str]:
    for name, pool in _pools(resource_type, props):
        if _is_gpu(resource_type, pool) and not _has_gpu_taint(resource_type, pool):
            yield f"GPU pool {name} has no {GPU_TAINT_KEY} NoSchedule taint: any pod may land on GPU nodes"


def _bounds(resource_type: str, pool: Props) -> tuple[Any, Any]:
    if resource_type == EKS_NODE_GROUP:
        scaling = pool.get("scalingConfig") or {}
        return scaling.get("minSize"), scaling.get("maxSize")
    if resource_type == GKE_NODE_POOL:
        auto = pool.get("autoscaling") or {}
        low = auto.get("totalMinNodeCount", auto.get("minNodeCount"))
        return low, auto.get("totalMaxNodeCount", auto.get("maxNodeCount"))
    # AKS: bounds only mean something with the cluster autoscaler on.
    if not pool.get("enableAutoScaling"):
        return None, None
    return pool.get("minCount"), pool.get("maxCount")


def _number(value: Any) -> bool:
    # The engine sends numbers as floats (protobuf Struct): 2.0 is a bound, True is not.
    return isinstance(value, int | float) and not isinstance(value, bool)


def pool_unbounded(resource_type: str, props: Props) -> Iterator[str]:
    for name, pool in _pools(resource_type, props):
        low, high = _bounds(resource_type, pool)
        if not _number(low) or not _number(high) or high < 1 or low > high:
            yield f"node pool {name} has no autoscaling bounds (min {low}, max {high})"


# --- AKS logs live in a separate resource: a stack rule ----------------------------------------------------
def aks_logging(resources: list[Any]) -> Iterator[tuple[str, str]]:
    """Every ManagedCluster has a DiagnosticSetting beside it (same parent) sending the control-plane logs."""
    enabled: dict[str, set[str]] = {}
    for r in resources:
        if r.resource_type == AKS_DIAGNOSTICS:
            logs = {str(log.get("category")) for log in r.props.get("logs") or [] if log.get("enabled")}
            enabled.setdefault(_parent(r), set()).update(logs)
    for r in resources:
        if r.resource_type == AKS_CLUSTER:
            missing = AKS_REQUIRED_LOGS - enabled.get(_parent(r), set())
            if missing:
                yield r.urn, f"AKS control-plane logs off: {', '.join(sorted(missing))} (no DiagnosticSetting)"


def _parent(resource: Any) -> str:
    opts = getattr(resource, "opts", None)
    return str(getattr(opts, "parent", None) or getattr(resource, "parent", None) or "")


Check = Callable[[str, Props], Iterator[str]]
RULES: list[tuple[str, str, Check]] = [
    (
        "kubeforge-cluster-public-endpoint",
        "The API endpoint is private, or public only to named CIDRs.",
        public_endpoint,
    ),
    ("kubeforge-cluster-logging", "Control-plane and audit logs are on.", logging_off),
    ("kubeforge-cluster-encryption", "Secrets are encrypted with a managed key.", encryption_off),
    ("kubeforge-gpu-pool-taint", "GPU pools carry the nvidia.com/gpu NoSchedule taint.", gpu_pool_untainted),
    ("kubeforge-node-pool-bounds", "Every node pool has autoscaling bounds.", pool_unbounded),
]


def _resource_policy(name: str, description: str, check: Check) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in check(args.resource_type, dict(args.props or {})):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


def _aks_logging(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for urn, message in aks_logging(list(args.resources)):
        report_violation(message, urn)


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [
        *(_resource_policy(*rule) for rule in RULES),
        StackValidationPolicy(
            name="kubeforge-aks-logging",
            description="Every AKS cluster sends its control-plane and audit logs to a workspace.",
            validate=_aks_logging,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
    ]
