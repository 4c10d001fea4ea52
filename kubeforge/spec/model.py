"""PlatformSpec: every field documented here; `kubeforge spec schema` prints the JSON schema."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

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


Quantity = Annotated[str, AfterValidator(_quantity)]
Cidr = Annotated[str, AfterValidator(_cidr)]
Name = Annotated[str, Field(pattern=DNS1123, max_length=63)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resources(Model):
    cpu: Quantity | None = Field(default=None, description="CPU, e.g. 100m or 2.")
    memory: Quantity | None = Field(default=None, description="Memory, e.g. 128Mi or 4Gi.")


# --- cluster ---------------------------------------------------------------------------------
class ClusterSpec(Model):
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

    @property
    def kubernetes_minor(self) -> str:
        return ".".join(self.kubernetes.lstrip("v").split(".")[:2])


# --- components and sizing ---------------------------------------------------------------------
class ComponentSpec(Model):
    enabled: bool = Field(default=True, description="Whether the component is installed.")
    replicas: int | None = Field(default=None, ge=0, le=20, description="Replicas of its Deployments; None: sizing default.")
    requests: Resources | None = Field(
        default=None, description="Per-container request ceiling for this component (overrides sizing.max_requests)."
    )
    limits: Resources | None = Field(
        default=None, description="Per-container limit floor for this component (never below upstream's limits)."
    )


class SidecarSizing(Model):
    requests: Resources = Field(default_factory=lambda: Resources(cpu="10m", memory="40Mi"))
    limits: Resources = Field(default_factory=lambda: Resources(cpu="2", memory="1Gi"))


class Sizing(Model):
    replicas: int | None = Field(default=None, ge=1, le=20, description="Replicas of platform Deployments; None: upstream's.")
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
    email: Email = Field(description="Login e-mail; also the kubeflow-userid.")
    username: str | None = Field(default=None, description="Display name; defaults to the e-mail's local part.")
    hash: str | None = Field(
        default=None,
        pattern=_BCRYPT,
        description="bcrypt hash of the password. None on kind: a password is generated once and shown once.",
    )


class OIDCConnector(Model):
    type: Literal["oidc"]
    id: Name
    name: str
    issuer: str = Field(pattern=r"^https://", description="The upstream IdP's issuer URL.")
    client_id: str
    client_secret_ref: str = Field(description="name/key of a Secret in the auth namespace; never the value.")
    groups_claim: str = Field(default="groups", description="Claim carrying the user's groups.")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email", "groups"])


class LDAPConnector(Model):
    type: Literal["ldap"]
    id: Name
    name: str
    host: str = Field(description="host:port of the LDAP server (TLS).")
    bind_dn: str
    bind_password_ref: str = Field(description="name/key of a Secret in the auth namespace.")
    user_base_dn: str
    group_base_dn: str
    user_filter: str = "(objectClass=person)"
    group_filter: str = "(objectClass=groupOfNames)"
    groups_claim: str = Field(default="groups", description="Dex puts LDAP groups in this claim.")


class GitHubConnector(Model):
    type: Literal["github"]
    id: Name
    name: str
    client_id: str
    client_secret_ref: str = Field(description="name/key of a Secret in the auth namespace.")
    orgs: list[str] = Field(default_factory=list, description="Organisations (and their teams become groups).")
    groups_claim: str = Field(default="groups")


Connector = Annotated[OIDCConnector | LDAPConnector | GitHubConnector, Field(discriminator="type")]


class GroupMapping(Model):
    group: str = Field(description="IdP group name as the connector reports it.")
    team: Name = Field(description="Team the group belongs to.")
    role: Literal["owner", "member", "viewer"] = "member"


class IdentitySpec(Model):
    static_users: list[StaticUser] = Field(default_factory=list, description="Dex static users: kind only.")
    connectors: list[Connector] = Field(default_factory=list, description="Upstream IdPs (production).")
    groups: list[GroupMapping] = Field(default_factory=list, description="IdP group -> team and role.")


# --- teams -----------------------------------------------------------------------------------------
class Quota(Model):
    cpu: Quantity = Field(default="8", description="requests.cpu and limits.cpu ceiling.")
    memory: Quantity = Field(default="32Gi", description="requests.memory and limits.memory ceiling.")
    gpu: int = Field(default=0, ge=0, description="requests.nvidia.com/gpu.")
    storage: Quantity = Field(default="200Gi", description="requests.storage over all PVCs.")
    pvcs: int = Field(default=20, ge=0, description="Number of PersistentVolumeClaims.")


class LimitDefaults(Model):
    default: Resources = Field(default_factory=lambda: Resources(cpu="1", memory="2Gi"), description="Default limits.")
    default_request: Resources = Field(
        default_factory=lambda: Resources(cpu="100m", memory="256Mi"), description="Default requests."
    )


class Egress(Model):
    cidrs: list[Cidr] = Field(default_factory=list, description="CIDRs the team's pods may reach.")
    internet: bool = Field(default=False, description="Open all but cluster and link-local ranges.")


class TeamGroups(Model):
    owners: list[str] = Field(default_factory=list)
    members: list[str] = Field(default_factory=list)
    viewers: list[str] = Field(default_factory=list)


class Team(Model):
    name: Name = Field(description="Namespace name (DNS-1123), unique.")
    owners: list[Email] = Field(min_length=1, description="Owners: kubeflow-admin; the first owns the Profile.")
    members: list[Email] = Field(default_factory=list, description="kubeflow-edit.")
    viewers: list[Email] = Field(default_factory=list, description="kubeflow-view.")
    groups: TeamGroups = Field(default_factory=TeamGroups, description="IdP groups bound by role.")
    quota: Quota = Field(default_factory=Quota)
    limits: LimitDefaults = Field(default_factory=LimitDefaults, description="LimitRange defaults.")
    egress: Egress = Field(default_factory=Egress)


# --- gpu, images, ingress -------------------------------------------------------------------------
class GPUSharing(Model):
    strategy: Literal["none", "time-slicing", "mig"] = "none"
    replicas: int = Field(default=1, ge=1, le=64, description="time-slicing: virtual GPUs per physical GPU.")
    mig_strategy: Literal["single", "mixed"] = Field(default="single", description="mig: how MIG devices are exposed.")


class GPUSpec(Model):
    enabled: bool = False
    driver_branch: str = Field(default="580", pattern=r"^[0-9]{3}$", description="NVIDIA driver branch.")
    sharing: GPUSharing = Field(default_factory=GPUSharing)


class ImagesSpec(Model):
    registry: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$",
        description="Mirror prefix for air-gapped sites: docker.io/x/y becomes <registry>/x/y.",
    )


class TLSSpec(Model):
    mode: Literal["self-signed", "issuer", "none"] = "self-signed"
    issuer: str | None = Field(default=None, description="cert-manager ClusterIssuer name (mode issuer).")

    @model_validator(mode="after")
    def _issuer_named(self) -> TLSSpec:
        if self.mode == "issuer" and not self.issuer:
            raise ValueError("tls.mode issuer needs tls.issuer (a ClusterIssuer name)")
        return self


class IngressSpec(Model):
    host: str = Field(default="localhost", pattern=r"^[a-z0-9.-]+$", description="Public host of the platform.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Public port when not 443.")
    tls: TLSSpec = Field(default_factory=TLSSpec)


# --- the spec ---------------------------------------------------------------------------------------
class PlatformSpec(Model):
    """The whole platform. Profiles (profiles/*.yaml) set it; overrides and stack config refine it."""

    profile: str = Field(description="The profile this spec was loaded from.")
    release: str = Field(default="26.03", description="Release key of a lock under manifests/.")
    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    sizing: Sizing = Field(default_factory=Sizing)
    components: dict[str, ComponentSpec] = Field(
        default_factory=dict, description="Per component (names from the lock): enabled and sizing."
    )
    identity: IdentitySpec = Field(default_factory=IdentitySpec)
    teams: list[Team] = Field(default_factory=list)
    gpu: GPUSpec = Field(default_factory=GPUSpec)
    images: ImagesSpec = Field(default_factory=ImagesSpec)
    ingress: IngressSpec = Field(default_factory=IngressSpec)

    @model_validator(mode="after")
    def _consistent(self) -> PlatformSpec:
        seen: set[str] = set()
        for i, team in enumerate(self.teams):
            if team.name in seen:
                raise ValueError(f"teams.{i}.name: duplicate team name {team.name!r}")
            seen.add(team.name)
        if self.identity.static_users and self.cluster.provider != "kind":
            raise ValueError(
                "identity.static_users: static users are for kind only; use identity.connectors "
                f"(cluster.provider is {self.cluster.provider!r})"
            )
        for i, mapping in enumerate(self.identity.groups):
            if mapping.team not in seen:
                raise ValueError(f"identity.groups.{i}.team: group {mapping.group!r} maps to unknown team {mapping.team!r}")
        return self

    @property
    def is_kind(self) -> bool:
        return self.cluster.provider == "kind"

    def enabled(self, component: str, *, core: bool = False, default: bool = True) -> bool:
        if core:
            return True
        spec = self.components.get(component)
        return spec.enabled if spec is not None else default


def team_name_ok(name: str) -> bool:
    return bool(re.fullmatch(DNS1123, name)) and len(name) <= 63
