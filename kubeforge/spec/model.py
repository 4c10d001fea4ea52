"""PlatformSpec: every field documented here; `kubeforge spec schema` prints the JSON schema."""

from __future__ import annotations

import ipaddress
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from kubeforge.spec.quantity import parse_quantity

DNS1123 = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


def _quantity(value: str) -> str:
    number = parse_quantity(value)  # raises ValueError with the expected form
    if number < 0:
        raise ValueError(f"{value!r} is negative; expected a quantity >= 0")
    return value


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32): {exc}") from exc
    return value


def _number_to_text(value: object) -> object:
    # YAML reads `cpu: 2` as an int; Kubernetes takes it as the quantity "2", and so does the spec.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Quantity = Annotated[str, BeforeValidator(_number_to_text), AfterValidator(_quantity)]
Cidr = Annotated[str, AfterValidator(_cidr)]
# Link-local (cloud metadata at 169.254.169.254, fd00:ec2::254 on AWS IPv6) is never a team egress target.
METADATA_RANGES = ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128")


def _egress_cidr(value: str) -> str:
    net = ipaddress.ip_network(value, strict=True)
    for bad in METADATA_RANGES:
        other = ipaddress.ip_network(bad)
        if net.version == other.version and net.overlaps(other):
            raise ValueError(
                f"{value!r} covers {bad} (link-local, cloud metadata); list narrower ranges, or use internet: true "
                "(which keeps link-local excluded)"
            )
    return value


EgressCidr = Annotated[str, AfterValidator(_cidr), AfterValidator(_egress_cidr)]
Name = Annotated[str, Field(pattern=DNS1123, max_length=63)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resources(Model):
    """CPU and memory quantities (Kubernetes notation)."""

    cpu: Quantity | None = Field(default=None, description="CPU, e.g. 100m or 2.")
    memory: Quantity | None = Field(default=None, description="Memory, e.g. 128Mi or 4Gi.")


# --- cluster ---------------------------------------------------------------------------------
class ClusterSpec(Model):
    """The cluster the platform is installed on."""

    name: Name = Field(default="kubeflow", description="Cluster name (also the kind cluster's name).")
    provider: Literal["kind", "kubeadm", "managed"] = Field(
        default="kubeadm",
        description="kind: a laptop (static users allowed); kubeadm: our Ansible-built cluster; managed: EKS/GKE/AKS.",
    )
    kubernetes: str = Field(
        default="1.34",
        pattern=r"^v?1\.[0-9]+(\.[0-9]+)?$",
        description="Kubernetes version (1.34 or v1.34.0); must lie in the release's supported range.",
    )
    context: str | None = Field(default=None, description="kube context to apply to; None: the current one.")
    kubeconfig: str | None = Field(default=None, description="Path of the kubeconfig; None: the default.")
    api_server: list[Cidr] = Field(
        default_factory=list,
        description=(
            "Addresses of the Kubernetes API server as pods reach it (the `kubernetes` Endpoints, e.g. 10.0.0.10/32); "
            "egress to it is pinned there. Required outside kind."
        ),
    )
    nodes: list[Cidr] = Field(
        default_factory=list,
        description=(
            "Addresses of the nodes (kubelet, node-exporter, control-plane metrics): Prometheus's egress to them is "
            "pinned there; empty: the private ranges (kind, where node addresses are not known ahead)."
        ),
    )

    @property
    def kubernetes_minor(self) -> str:
        return ".".join(self.kubernetes.lstrip("v").split(".")[:2])


# --- components and sizing ---------------------------------------------------------------------
class ComponentSpec(Model):
    """One component of the release: on or off, and its sizing."""

    enabled: bool = Field(default=True, description="Whether the component is installed.")
    replicas: int | None = Field(
        default=None, ge=0, le=20, description="Replicas of its Deployments; None: sizing default."
    )
    requests: Resources | None = Field(
        default=None, description="Per-container request ceiling for this component (overrides sizing.max_requests)."
    )
    limits: Resources | None = Field(
        default=None, description="Per-container limit floor for this component (never below upstream's limits)."
    )


class SidecarSizing(Model):
    """Resources of the Istio sidecar injected into every meshed pod."""

    requests: Resources = Field(
        default_factory=lambda: Resources(cpu="10m", memory="40Mi"), description="Requests of each sidecar."
    )
    limits: Resources = Field(
        default_factory=lambda: Resources(cpu="2", memory="1Gi"), description="Limits of each sidecar."
    )


class Sizing(Model):
    """Replicas and container resources of the platform's own workloads."""

    replicas: int | None = Field(
        default=None, ge=1, le=20, description="Replicas of platform Deployments; None: upstream's."
    )
    max_requests: Resources | None = Field(
        default=None, description="Shrink every container's requests to at most this (laptops); None: keep upstream's."
    )
    default_requests: Resources = Field(
        default_factory=lambda: Resources(cpu="10m", memory="64Mi"),
        description="Requests for containers upstream leaves without.",
    )
    default_limits: Resources = Field(
        default_factory=lambda: Resources(cpu="2", memory="2Gi"),
        description="Limits, with generous headroom, for containers upstream leaves without.",
    )
    sidecar: SidecarSizing = Field(default_factory=SidecarSizing, description="Istio sidecar resources.")


# --- identity ------------------------------------------------------------------------------------
_BCRYPT = r"^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$"


class StaticUser(Model):
    """A Dex static user (kind only)."""

    email: Email = Field(description="Login e-mail; also the kubeflow-userid.")
    username: str | None = Field(default=None, description="Display name; defaults to the e-mail's local part.")
    hash: str | None = Field(
        default=None,
        pattern=_BCRYPT,
        description="bcrypt hash of the password. None on kind: a password is generated once and shown once.",
    )


class OIDCConnector(Model):
    """A Dex connector to an OpenID Connect identity provider."""

    type: Literal["oidc"] = Field(description="Connector type: oidc.")
    id: Name = Field(description="Connector id (DNS-1123), unique among connectors.")
    name: str = Field(description="Name shown on the login page.")
    issuer: str = Field(pattern=r"^https://", description="The upstream IdP's issuer URL.")
    client_id: str = Field(description="OAuth2 client id registered at the IdP.")
    client_secret_ref: str = Field(description="name/key of a Secret in the auth namespace; never the value.")
    groups_claim: str = Field(default="groups", description="Claim carrying the user's groups.")
    scopes: list[str] = Field(
        default_factory=lambda: ["openid", "profile", "email", "groups"], description="OAuth2 scopes requested."
    )


class LDAPConnector(Model):
    """A Dex connector to an LDAP directory."""

    type: Literal["ldap"] = Field(description="Connector type: ldap.")
    id: Name = Field(description="Connector id (DNS-1123), unique among connectors.")
    name: str = Field(description="Name shown on the login page.")
    host: str = Field(description="host:port of the LDAP server (TLS).")
    bind_dn: str = Field(description="DN Dex binds as to search the directory.")
    bind_password_ref: str = Field(description="name/key of a Secret in the auth namespace.")
    user_base_dn: str = Field(description="Base DN of the user search.")
    group_base_dn: str = Field(description="Base DN of the group search.")
    user_filter: str = Field(default="(objectClass=person)", description="LDAP filter selecting users.")
    group_filter: str = Field(default="(objectClass=groupOfNames)", description="LDAP filter selecting groups.")
    groups_claim: str = Field(default="groups", description="Dex puts LDAP groups in this claim.")


class GitHubConnector(Model):
    """A Dex connector to GitHub (OAuth app)."""

    type: Literal["github"] = Field(description="Connector type: github.")
    id: Name = Field(description="Connector id (DNS-1123), unique among connectors.")
    name: str = Field(description="Name shown on the login page.")
    client_id: str = Field(description="Client id of the GitHub OAuth app.")
    client_secret_ref: str = Field(description="name/key of a Secret in the auth namespace.")
    orgs: list[str] = Field(default_factory=list, description="Organisations (and their teams become groups).")
    groups_claim: str = Field(default="groups", description="Claim carrying the org:team groups.")


Connector = Annotated[OIDCConnector | LDAPConnector | GitHubConnector, Field(discriminator="type")]


class GroupMapping(Model):
    """Binds an IdP group to a team with a role."""

    group: str = Field(description="IdP group name as the connector reports it.")
    team: Name = Field(description="Team the group belongs to.")
    role: Literal["owner", "member", "viewer"] = Field(
        default="member", description="owner: kubeflow-admin; member: kubeflow-edit; viewer: kubeflow-view."
    )


class IdentitySpec(Model):
    """Who can log in: Dex static users or upstream connectors, and group mappings."""

    static_users: list[StaticUser] = Field(default_factory=list, description="Dex static users: kind only.")
    connectors: list[Connector] = Field(default_factory=list, description="Upstream IdPs (production).")
    groups: list[GroupMapping] = Field(default_factory=list, description="IdP group -> team and role.")


# --- teams -----------------------------------------------------------------------------------------
class Quota(Model):
    """The team namespace's ResourceQuota."""

    cpu: Quantity = Field(default="8", description="requests.cpu and limits.cpu ceiling.")
    memory: Quantity = Field(default="32Gi", description="requests.memory and limits.memory ceiling.")
    gpu: int = Field(
        default=0, ge=0, description="requests.nvidia.com/gpu; above 0 only when gpu.enabled (refused otherwise)."
    )
    storage: Quantity = Field(default="200Gi", description="requests.storage over all PVCs.")
    pvcs: int = Field(default=20, ge=0, description="Number of PersistentVolumeClaims.")


class LimitDefaults(Model):
    """The team namespace's LimitRange: defaults for containers that set none."""

    default: Resources = Field(default_factory=lambda: Resources(cpu="1", memory="2Gi"), description="Default limits.")
    default_request: Resources = Field(
        default_factory=lambda: Resources(cpu="100m", memory="256Mi"), description="Default requests."
    )


class Egress(Model):
    """Where the team's pods may connect outside the cluster."""

    cidrs: list[EgressCidr] = Field(
        default_factory=list, description="CIDRs the team's pods may reach; never link-local or metadata ranges."
    )
    internet: bool = Field(default=False, description="Open all but cluster and link-local ranges.")


class TeamGroups(Model):
    """IdP groups bound to the team's namespace, by role."""

    owners: list[str] = Field(default_factory=list, description="Groups bound to kubeflow-admin.")
    members: list[str] = Field(default_factory=list, description="Groups bound to kubeflow-edit.")
    viewers: list[str] = Field(default_factory=list, description="Groups bound to kubeflow-view.")


class Team(Model):
    """A team: one namespace (Kubeflow Profile) with its users, quota and egress."""

    name: Name = Field(description="Namespace name (DNS-1123), unique.")
    owners: list[Email] = Field(min_length=1, description="Owners: kubeflow-admin; the first owns the Profile.")
    members: list[Email] = Field(default_factory=list, description="kubeflow-edit.")
    viewers: list[Email] = Field(default_factory=list, description="kubeflow-view.")
    groups: TeamGroups = Field(default_factory=TeamGroups, description="IdP groups bound by role.")
    quota: Quota = Field(default_factory=Quota, description="ResourceQuota of the namespace.")
    limits: LimitDefaults = Field(default_factory=LimitDefaults, description="LimitRange defaults.")
    egress: Egress = Field(default_factory=Egress, description="Egress NetworkPolicy of the namespace.")
    pod_security: Literal["restricted", "baseline"] = Field(
        default="restricted",
        description="Pod Security level enforced; baseline only for notebook images that cannot run restricted.",
    )


# --- gpu, images, ingress -------------------------------------------------------------------------
class GPUSharing(Model):
    """How physical GPUs are shared between pods."""

    strategy: Literal["none", "time-slicing", "mig"] = Field(
        default="none", description="none: one pod per GPU; time-slicing: shared in time; mig: Multi-Instance GPU."
    )
    replicas: int = Field(default=1, ge=1, le=64, description="time-slicing: virtual GPUs per physical GPU.")
    mig_strategy: Literal["single", "mixed"] = Field(default="single", description="mig: how MIG devices are exposed.")


class GPUSpec(Model):
    """NVIDIA GPU support: driver branch and sharing."""

    enabled: bool = Field(default=False, description="Whether the cluster has NVIDIA GPUs to schedule on.")
    driver_branch: str = Field(default="580", pattern=r"^[0-9]{3}$", description="NVIDIA driver branch.")
    sharing: GPUSharing = Field(default_factory=GPUSharing, description="How GPUs are shared.")


class ImagesSpec(Model):
    """Where container images are pulled from."""

    registry: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$",
        description="Mirror prefix for air-gapped sites: docker.io/x/y becomes <registry>/x/y.",
    )


class TLSSpec(Model):
    """TLS of the ingress gateway."""

    mode: Literal["self-signed", "issuer", "none"] = Field(
        default="self-signed",
        description="self-signed: the kubeflow self-signing issuer; issuer: a named ClusterIssuer; none: plain HTTP.",
    )
    issuer: str | None = Field(default=None, description="cert-manager ClusterIssuer name (mode issuer).")

    @model_validator(mode="after")
    def _issuer_named(self) -> TLSSpec:
        if self.mode == "issuer" and not self.issuer:
            raise ValueError("tls.mode issuer needs tls.issuer (a ClusterIssuer name)")
        return self


class IngressSpec(Model):
    """How users reach the platform."""

    host: str = Field(default="localhost", pattern=r"^[a-z0-9.-]+$", description="Public host of the platform.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Public port when not 443.")
    tls: TLSSpec = Field(default_factory=TLSSpec, description="TLS of the public endpoint.")


# --- monitoring ----------------------------------------------------------------------------------
_SECRET_REF = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[-._a-zA-Z0-9]+$"
SecretRef = Annotated[str, Field(pattern=_SECRET_REF)]
Severity = Literal["critical", "warning", "info"]
_DEFAULT_SEVERITIES: tuple[Severity, ...] = ("critical", "warning")


class _Receiver(Model):
    name: Name = Field(description="Receiver name (DNS-1123), unique among receivers.")
    severities: list[Severity] = Field(
        default_factory=lambda: list(_DEFAULT_SEVERITIES), min_length=1, description="Alert severities sent here."
    )


class WebhookReceiver(_Receiver):
    """An HTTP(S) webhook (Alertmanager's webhook_config)."""

    type: Literal["webhook"] = Field(description="Receiver type: webhook.")
    url: str | None = Field(default=None, pattern=r"^https?://", description="Endpoint URL, when it is no secret.")
    url_secret_ref: SecretRef | None = Field(
        default=None, description="name/key of a Secret in the monitoring namespace holding the URL."
    )
    bearer_token: Literal["none", "generated"] = Field(
        default="none",
        description="generated: a per-install token sent as `Authorization: Bearer` (a generated Secret).",
    )

    @model_validator(mode="after")
    def _one_url(self) -> WebhookReceiver:
        if (self.url is None) == (self.url_secret_ref is None):
            raise ValueError("a webhook receiver needs exactly one of url and url_secret_ref")
        return self


class EmailReceiver(_Receiver):
    """E-mail through an SMTP relay (Alertmanager's email_config)."""

    type: Literal["email"] = Field(description="Receiver type: email.")
    to: Email = Field(description="Recipient.")
    sender: Email = Field(description="From address.")
    smarthost: str = Field(pattern=r"^[a-z0-9.-]+:[0-9]{1,5}$", description="SMTP relay host:port.")
    auth_username: str | None = Field(default=None, description="SMTP user, when the relay needs one.")
    auth_password_secret_ref: SecretRef | None = Field(
        default=None, description="name/key of a Secret in the monitoring namespace holding the SMTP password."
    )


class SlackReceiver(_Receiver):
    """A Slack incoming webhook (Alertmanager's slack_config)."""

    type: Literal["slack"] = Field(description="Receiver type: slack.")
    channel: str = Field(pattern=r"^#?[a-z0-9_-]+$", description="Channel, e.g. #ml-alerts.")
    api_url_secret_ref: SecretRef = Field(
        description="name/key of a Secret in the monitoring namespace holding the incoming-webhook URL."
    )


Receiver = Annotated[WebhookReceiver | EmailReceiver | SlackReceiver, Field(discriminator="type")]


class MonitoringSpec(Model):
    """Prometheus, Alertmanager and Grafana (the `monitoring` component)."""

    retention: str = Field(
        default="15d", pattern=r"^[0-9]+(ms|s|m|h|d|w|y)$", description="How long Prometheus keeps samples."
    )
    prometheus_memory: Quantity = Field(default="400Mi", description="Memory request of each Prometheus replica.")
    admin_groups: list[str] = Field(
        default_factory=list, description="IdP groups whose members are Grafana admins; everyone else signed in views."
    )
    receivers: list[Receiver] = Field(
        default_factory=list, description="Where Alertmanager sends alerts; none: nowhere."
    )
    inference_error_rate: float = Field(
        default=0.05, gt=0, le=1, description="Fraction of 5xx answers above which an InferenceService alerts."
    )

    @model_validator(mode="after")
    def _unique(self) -> MonitoringSpec:
        seen: set[str] = set()
        for i, r in enumerate(self.receivers):
            if r.name in seen:
                raise ValueError(f"receivers.{i}.name: duplicate receiver name {r.name!r}")
            seen.add(r.name)
        return self


# --- cloud (EKS, GKE, AKS created by the Pulumi stack) ---------------------------------------------
CloudName = Literal["none", "eks", "gke", "aks"]


class NodePoolSpec(Model):
    """One autoscaled node pool of a cloud cluster."""

    machine_type: str | None = Field(
        default=None, description="Instance / machine / VM size; None: the cloud's default for this pool."
    )
    min: int = Field(default=1, ge=0, le=1000, description="Fewest nodes the autoscaler keeps.")
    max: int = Field(default=3, ge=1, le=1000, description="Most nodes the autoscaler adds.")
    disk_gb: int = Field(default=100, ge=20, le=16384, description="OS disk size per node, GiB.")

    @model_validator(mode="after")
    def _bounds(self) -> NodePoolSpec:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class EndpointSpec(Model):
    """Who reaches the cluster's API server: private by default."""

    public: bool = Field(default=False, description="Open the API endpoint outside the network (to public_cidrs).")
    public_cidrs: list[Cidr] = Field(
        default_factory=list, description="CIDRs allowed to the public endpoint; required when public."
    )


class CloudSpec(Model):
    """The managed cluster the stack creates (`kubeforge:cluster`); provider none: a cluster that exists."""

    provider: CloudName = Field(default="none", description="eks, gke, aks, or none (no cloud cluster).")
    region: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]+$",
        description="Region (eks, gke, aks): us-east-1, europe-west4, westeurope.",
    )
    project: str | None = Field(
        default=None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", description="GCP project id (gke)."
    )
    subscription: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="Azure subscription id (aks).",
    )
    network_cidr: Cidr = Field(
        default="10.40.0.0/16", description="The VPC / VNet range; nodes get private subnets of it."
    )
    endpoint: EndpointSpec = Field(default_factory=EndpointSpec, description="API server endpoint access.")
    cpu_pool: NodePoolSpec = Field(
        default_factory=lambda: NodePoolSpec(min=2, max=6), description="The CPU node pool (platform and notebooks)."
    )
    gpu_pool: NodePoolSpec = Field(
        default_factory=lambda: NodePoolSpec(min=0, max=2),
        description="The GPU node pool, created when gpu.enabled: tainted nvidia.com/gpu, labelled for the GPU layer.",
    )

    # What each cloud needs to place a cluster at all: checked with the field named (PlatformSpec).
    REQUIRED: ClassVar[dict[str, tuple[tuple[str, str], ...]]] = {
        "eks": (("region", "the AWS region, e.g. us-east-1"),),
        "gke": (("region", "the GCP region, e.g. europe-west4"), ("project", "the GCP project id")),
        "aks": (("region", "the Azure region, e.g. westeurope"), ("subscription", "the Azure subscription id")),
    }

    def missing(self) -> list[tuple[str, str]]:
        return [(f, what) for f, what in self.REQUIRED.get(self.provider, ()) if getattr(self, f) is None]


# --- managed data services (KFP, Katib, Model Registry on a cloud database and object store) --------
DatabaseProvider = Literal["in-cluster", "rds", "cloudsql", "azure-mysql"]
ArtifactsProvider = Literal["in-cluster", "s3", "gcs", "blob"]
# Which cloud each managed service runs on: the stack creates it next to that cloud's cluster.
DATABASE_CLOUD: dict[str, str] = {"rds": "eks", "cloudsql": "gke", "azure-mysql": "aks"}
ARTIFACTS_CLOUD: dict[str, str] = {"s3": "eks", "gcs": "gke", "blob": "aks"}
# Why an object store is refused although its cloud matches: what upstream cannot do (README: Managed data).
ARTIFACTS_UNSUPPORTED: dict[str, str] = {
    "blob": (
        "KFP 2.16's launcher takes gs://, s3://, minio:// and mem:// pipeline roots only "
        "(backend/src/v2/objectstore/config.go, ParseBucketPathToConfig: no azblob://) and its API server speaks "
        "S3 only, which Blob does not; keep in-cluster on aks"
    ),
}
# A GCS bucket name has at most 63 characters; each team gets `<bucket>-<team>` (kubeforge.managed.gcs).
GCS_BUCKET_MAX = 63


class DatabaseSpec(Model):
    """The MySQL that KFP, Katib and Model Registry use: in the cluster, or the cloud's managed one."""

    provider: DatabaseProvider = Field(
        default="in-cluster",
        description="in-cluster (MySQL pods), rds (eks), cloudsql (gke) or azure-mysql (aks, flexible server).",
    )
    size: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Instance class / tier / SKU; None: db.t4g.medium, db-custom-2-7680, Standard_B2ms.",
    )
    storage_gb: int = Field(default=50, ge=20, le=16384, description="Allocated storage, GiB.")
    backup_days: int = Field(default=7, ge=1, le=35, description="Automated backup retention, days (always on).")
    high_availability: bool = Field(default=False, description="A standby in a second zone (doubles the cost).")
    deletion_protection: bool = Field(
        default=True, description="The cloud refuses to delete the database (turn off, `pulumi up`, then destroy)."
    )

    @property
    def managed(self) -> bool:
        return self.provider != "in-cluster"


class ArtifactsSpec(Model):
    """KFP's artifact store: in-cluster SeaweedFS, or the cloud's object store through workload identity."""

    provider: ArtifactsProvider = Field(
        default="in-cluster",
        description="in-cluster (SeaweedFS), s3 (eks) or gcs (gke); blob is refused (why: README).",
    )
    bucket: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Bucket name (global across the cloud: choose your own); required when not in-cluster.",
    )
    endpoint_cidrs: list[EgressCidr] = Field(
        default_factory=list,
        description=(
            "Address ranges of the object store's API that pipeline pods may reach on 443 (s3: your region's S3 "
            "ranges from ip-ranges.json; gcs: 199.36.153.8/30 with a private.googleapis.com DNS zone, or Google's "
            "ranges from goog.json); required when not in-cluster: teams get no wider internet egress."
        ),
    )

    @property
    def managed(self) -> bool:
        return self.provider != "in-cluster"


class DataSpec(Model):
    """Where the platform keeps its data: defaults are in the cluster (MySQL pods, SeaweedFS)."""

    database: DatabaseSpec = Field(
        default_factory=DatabaseSpec, description="The MySQL of KFP, Katib and Model Registry."
    )
    artifacts: ArtifactsSpec = Field(default_factory=ArtifactsSpec, description="KFP's artifact store.")


# --- the spec ---------------------------------------------------------------------------------------
class PlatformSpec(Model):
    """The whole platform. Profiles (profiles/*.yaml) set it; overrides and stack config refine it."""

    profile: str = Field(description="The profile this spec was loaded from.")
    release: str = Field(default="26.03", description="Release key of a lock under manifests/.")
    cluster: ClusterSpec = Field(default_factory=ClusterSpec, description="The target cluster.")
    sizing: Sizing = Field(default_factory=Sizing, description="Replicas and resources of platform workloads.")
    components: dict[str, ComponentSpec] = Field(
        default_factory=dict, description="Per component (names from the lock): enabled and sizing."
    )
    identity: IdentitySpec = Field(default_factory=IdentitySpec, description="Login: static users or connectors.")
    teams: list[Team] = Field(default_factory=list, description="Teams, each a namespace; names unique.")
    gpu: GPUSpec = Field(default_factory=GPUSpec, description="NVIDIA GPU support.")
    images: ImagesSpec = Field(default_factory=ImagesSpec, description="Image registry mirror.")
    ingress: IngressSpec = Field(default_factory=IngressSpec, description="Public host, port and TLS.")
    cloud: CloudSpec = Field(default_factory=CloudSpec, description="The EKS / GKE / AKS cluster the stack creates.")
    data: DataSpec = Field(default_factory=DataSpec, description="Managed database and artifact store (cloud only).")
    monitoring: MonitoringSpec = Field(
        default_factory=MonitoringSpec, description="Prometheus, Alertmanager and Grafana (component `monitoring`)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> PlatformSpec:
        seen: set[str] = set()
        for i, team in enumerate(self.teams):
            if team.name in seen:
                raise ValueError(f"teams.{i}.name: duplicate team name {team.name!r}")
            seen.add(team.name)
        if not self.cluster.api_server and self.cluster.provider != "kind":
            raise ValueError(
                "cluster.api_server: the API server's addresses are needed outside kind (`kubectl get endpoints "
                "kubernetes -n default`); team and controller egress is pinned to them"
            )
        if self.identity.static_users and self.cluster.provider != "kind":
            raise ValueError(
                "identity.static_users: static users are for kind only; use identity.connectors "
                f"(cluster.provider is {self.cluster.provider!r})"
            )
        for i, mapping in enumerate(self.identity.groups):
            if mapping.team not in seen:
                raise ValueError(
                    f"identity.groups.{i}.team: group {mapping.group!r} maps to unknown team {mapping.team!r}"
                )
        self._cloud_consistent()
        self._data_consistent()
        return self

    def _cloud_consistent(self) -> None:
        cloud = self.cloud
        for name, what in cloud.missing():
            raise ValueError(f"cloud.{name}: cloud.provider {cloud.provider} needs {what}")
        if cloud.provider != "none" and self.cluster.provider != "managed":
            raise ValueError(
                f"cluster.provider: cloud.provider {cloud.provider} needs cluster.provider managed, got {self.cluster.provider!r}"
            )
        if cloud.endpoint.public and not cloud.endpoint.public_cidrs:
            raise ValueError("cloud.endpoint.public_cidrs: a public API endpoint needs the CIDRs allowed to reach it")

    def _data_consistent(self) -> None:
        cloud, db, art = self.cloud.provider, self.data.database, self.data.artifacts
        if db.managed and DATABASE_CLOUD[db.provider] != cloud:
            raise ValueError(
                f"data.database.provider: {db.provider} runs next to a {DATABASE_CLOUD[db.provider]} cluster, "
                f"but cloud.provider is {cloud!r}"
            )
        if art.managed and ARTIFACTS_CLOUD[art.provider] != cloud:
            raise ValueError(
                f"data.artifacts.provider: {art.provider} runs next to a {ARTIFACTS_CLOUD[art.provider]} cluster, "
                f"but cloud.provider is {cloud!r}"
            )
        if art.provider in ARTIFACTS_UNSUPPORTED:
            raise ValueError(
                f"data.artifacts.provider: {art.provider} is not supported: {ARTIFACTS_UNSUPPORTED[art.provider]}"
            )
        if art.managed and art.bucket is None:
            raise ValueError(f"data.artifacts.bucket: data.artifacts.provider {art.provider} needs a bucket name")
        if art.provider == "gcs" and art.bucket is not None and "." in art.bucket:
            raise ValueError("data.artifacts.bucket: a GCS bucket name with dots needs a verified domain; use dashes")
        if art.provider == "gcs" and art.bucket is not None:
            longest = max((t.name for t in self.teams), key=len, default="")
            if len(art.bucket) + 1 + len(longest) > GCS_BUCKET_MAX:
                raise ValueError(
                    f"data.artifacts.bucket: each team gets its own bucket <bucket>-<team>, at most {GCS_BUCKET_MAX} "
                    f"characters: {art.bucket}-{longest} is {len(art.bucket) + 1 + len(longest)}"
                )
        if art.managed and not art.endpoint_cidrs:
            raise ValueError(
                f"data.artifacts.endpoint_cidrs: data.artifacts.provider {art.provider} needs the object store's "
                "address ranges (pipeline pods reach nothing else outside the cluster)"
            )
        if db.managed and ipaddress.ip_network(self.cloud.network_cidr).prefixlen > 17:
            raise ValueError(
                f"cloud.network_cidr: a managed database needs a /17 or larger network (its subnets are carved "
                f"from it), got {self.cloud.network_cidr}"
            )

    @property
    def is_cloud(self) -> bool:
        return self.cloud.provider != "none"

    @property
    def is_kind(self) -> bool:
        return self.cluster.provider == "kind"

    def enabled(self, component: str, *, core: bool = False, default: bool = True) -> bool:
        if core:
            return True
        spec = self.components.get(component)
        return spec.enabled if spec is not None else default
