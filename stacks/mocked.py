"""Run the program under Pulumi mocks and record every registration: for tests and benchmarks/stack.py.

There is no Pulumi engine or provider plugin in CI: the recording monitor sees what the engine would be
sent (type, name, parent, dependencies, providers, options, inputs with secrets still marked).
Also: stand-in team objects for renders made while `kubeforge.tenancy` is not installed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc

from kubeforge.render.pipeline import Render
from kubeforge.spec import PlatformSpec
from stacks.clusters import create_cluster
from stacks.clusters.base import CloudCluster
from stacks.config import StackConfig
from stacks.data import create_data
from stacks.data.base import DataServices
from stacks.program import Deployed, Renderer, default_renderer, deploy

SECRET_SIG = rpc._special_secret_sig
SIG_KEY = rpc._special_sig_key
PROJECT = "kubeforge"


def fake_password(name: str) -> str:
    return f"GENERATED-{name}-0123456789"


def fake_bcrypt(name: str) -> str:
    return f"$2a$10$GENERATEDHASH{name}"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    remote: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    provider: str
    providers: dict[str, str]
    retain_on_delete: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)


FAKE_CA = "RkFLRS1DQQ=="  # base64 "FAKE-CA"
# What a cloud returns that its inputs do not hold: simulated, so the program's kubeconfigs can be built.
CLOUD_OUTPUTS: dict[str, dict[str, Any]] = {
    "aws:eks/cluster:Cluster": {
        "endpoint": "https://FAKE.gr7.us-east-1.eks.amazonaws.com",
        "certificateAuthority": {"data": FAKE_CA},
        "arn": "arn:aws:eks:us-east-1:000000000000:cluster/fake",
    },
    "aws:iam/role:Role": {"arn": "arn:aws:iam::000000000000:role/fake"},
    "aws:kms/key:Key": {"arn": "arn:aws:kms:us-east-1:000000000000:key/fake"},
    "gcp:container/cluster:Cluster": {"endpoint": "10.0.0.2", "masterAuth": {"clusterCaCertificate": FAKE_CA}},
    "gcp:serviceaccount/account:Account": {"email": "fake@project.iam.gserviceaccount.com"},
    "azure-native:managedidentity:UserAssignedIdentity": {"principalId": "00000000-0000-0000-0000-00000000000a"},
    "azure-native:keyvault:Key": {"keyUriWithVersion": "https://fake.vault.azure.net/keys/etcd-secrets/1"},
    # Managed databases: the private address the cloud assigns (stacks/data/).
    "aws:rds/instance:Instance": {"address": "fake-db.abcdefghijkl.us-east-1.rds.amazonaws.com"},
    "gcp:sql/databaseInstance:DatabaseInstance": {"privateIpAddress": "10.40.128.3"},
    "gcp:projects/serviceIdentity:ServiceIdentity": {
        "email": "service-123456789012@gcp-sa-cloud-sql.iam.gserviceaccount.com"
    },
    "azure-native:dbformysql:Server": {"fullyQualifiedDomainName": "kubeforge-kubeflow-db.mysql.database.azure.com"},
    "gcp:storage/hmacKey:HmacKey": {"accessId": "GOOGFAKEHMACACCESSID", "secret": "fake-hmac-secret"},
}
FAKE_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n"
CLOUD_CALLS: dict[str, dict[str, Any]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": {"names": ["us-east-1a", "us-east-1b", "us-east-1c"]},
    "gcp:organizations/getProject:getProject": {"number": "123456789012"},
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": {
        "emailAddress": "service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
    },
    "azure-native:authorization:getClientConfig": {"tenantId": "00000000-0000-0000-0000-0000000000ff"},
    "azure-native:containerservice:listManagedClusterUserCredentials": {
        "kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(FAKE_KUBECONFIG.encode()).decode()}]
    },
}


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        state = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            state.update(result=fake_password(args.name), bcryptHash=fake_bcrypt(args.name))
        if args.typ in ("azure-native:containerservice:ManagedCluster", "azure-native:dbformysql:Server"):
            # Azure answers the identities it was given as a map keyed by resource id.
            ident = dict(state.get("identity") or {})
            ident["userAssignedIdentities"] = {i: {} for i in ident.get("userAssignedIdentities") or []}
            state["identity"] = ident
        for key, value in CLOUD_OUTPUTS.get(args.typ, {}).items():
            state.setdefault(key, value)
        if args.custom and args.typ.startswith(("aws:", "gcp:", "azure-native:")) and "name" not in state:
            state["name"] = args.name  # clouds name a resource after its logical name when not told
        return (f"{args.name}-id" if args.custom else None), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return dict(CLOUD_CALLS.get(args.token, {})), []


class RecordingMonitor(mocks.MockMonitor):
    """Records every RegisterResource (duplicate URNs included) and every RegisterResourceOutputs."""

    def __init__(self) -> None:
        super().__init__(_Mocks())
        self.registrations: list[Registration] = []
        self.outputs: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    urn=self.make_urn(request.parent, request.type, request.name),
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=bool(request.custom),
                    remote=bool(request.remote),
                    dependencies=list(request.dependencies),
                    property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                    provider=request.provider,
                    providers=dict(request.providers),
                    retain_on_delete=bool(request.retainOnDelete),
                    inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                )
            )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.outputs[request.urn] = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


@dataclass
class MockedRun:
    deployed: Deployed
    registrations: list[Registration]
    outputs: dict[str, dict[str, Any]]
    exports: dict[str, Any]  # stack outputs, secrets wrapped as in the recorded inputs

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def unwrap(value: Any) -> Any:
    """Recorded inputs with secret markers removed: the plain values CrossGuard and tests compare."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def plain_strings(value: Any) -> Iterator[str]:
    """Every string reachable without passing through a secret."""
    if is_secret(value):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from plain_strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from plain_strings(v)


def run_mocked(cfg: StackConfig, renderer: Renderer = default_renderer, stack: str = "test") -> MockedRun:
    monitor = RecordingMonitor()
    pulumi.runtime.set_mocks(_Mocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor)
    config = {f"{PROJECT}:profile": cfg.profile, f"{PROJECT}:spec": json.dumps(cfg.spec)}
    config.update(
        {
            f"{PROJECT}:{k}": v
            for k, v in (("context", cfg.context), ("kubeconfig", cfg.kubeconfig), ("cluster", cfg.cluster))
            if v
        }
    )
    pulumi.runtime.set_all_config(config)
    result: dict[str, Any] = {}

    def program() -> pulumi.Output[Any]:
        from stacks.config import read_config

        conf = pulumi.Config(PROJECT)
        result["deployed"] = deployed = deploy(read_config(conf.get, conf.get_object), renderer)
        return pulumi.Output.all(**{k: _wrap(v) for k, v in deployed.exports.items()}).apply(
            lambda values: result.__setitem__("exports", values)
        )

    pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    return MockedRun(result["deployed"], monitor.registrations, monitor.outputs, result["exports"])


def _wrap(value: Any) -> pulumi.Output[Any]:
    """An export as recorded: a secret becomes {sig: secret, value: ...} so tests see its marking."""
    out = pulumi.Output.from_input(value)

    async def marked() -> Any:
        inner = await out.future()
        if await out.is_secret():
            return {SIG_KEY: SECRET_SIG, "value": inner}
        return inner

    return pulumi.Output.from_input(marked())


def memo_renderer(inner: Renderer = default_renderer) -> Renderer:
    """Render each distinct spec once per process: the engine's render is the slow part of a mocked run."""
    cache: dict[str, Render] = {}

    def render(spec: PlatformSpec) -> Render:
        key = spec.model_dump_json()
        if key not in cache:
            cache[key] = inner(spec)
        return cache[key]

    return render


@dataclass
class ClusterRun:
    cluster: CloudCluster
    registrations: list[Registration]
    kubeconfig: str
    data: DataServices | None = None
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]


def run_cluster_mocked(spec: PlatformSpec, stack: str = "test") -> ClusterRun:
    """Only the spec's cloud cluster and its managed data services (no platform render): their resources
    as the engine would be sent them."""
    monitor = RecordingMonitor()
    pulumi.runtime.set_mocks(_Mocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({})
    result: dict[str, Any] = {}

    def program() -> pulumi.Output[Any]:
        result["cluster"] = cluster = create_cluster(spec.cloud.provider, spec)
        result["data"] = create_data(spec, cluster)
        return cluster.kubeconfig.apply(lambda text: result.__setitem__("kubeconfig", text))

    pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    return ClusterRun(result["cluster"], monitor.registrations, result["kubeconfig"], result["data"], monitor.outputs)
