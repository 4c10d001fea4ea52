"""A real control plane on 127.0.0.1 for the e2e tests: etcd, kube-apiserver, controller-manager,
scheduler and kwok, built from source by scripts/e2e-tools, with per-run PKI, RBAC, Pod Security
admission and the audit policy rendered from roles/kubeadm_control_plane's templates.

`python -m e2e.harness.cluster up DIR` starts a supervisor that owns every process (children die
with it: PR_SET_PDEATHSIG) and stops by itself after --ttl seconds; `down DIR` stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jinja2 import Environment, FileSystemLoader, StrictUndefined

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "kubeadm_control_plane"
GPU_FIXTURE = Path(
    os.environ.get("KUBEFORGE_GPU_FIXTURE", ROOT.parent / "shared" / "fixtures" / "gpu" / "h200-driver580")
)
# Webhook backends are pods, and pods run no process here: calling a webhook would fail every create.
DISABLED_ADMISSION = "MutatingAdmissionWebhook,ValidatingAdmissionWebhook"
KWOK_ANNOTATION = "kwok.x-k8s.io/node"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- PKI ---------------------------------------------------------------------------------------


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _cert(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    sans: list[x509.GeneralName] | None = None,
    client: bool = False,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if not ca:
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_pki(pki: Path) -> None:
    """CA, apiserver serving pair, admin client pair (system:masters) and the service-account keys."""
    pki.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubeforge-e2e-ca")])
    ca = _cert(ca_name, ca_key, None, ca=True)
    (pki / "ca.crt").write_bytes(_pem(ca))
    _write_key(pki / "ca.key", ca_key)
    sans: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.DNSName("kubernetes.default.svc"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
    ]
    for name, subject, client in (
        ("apiserver", x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]), False),
        (
            "admin",
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "admin"),
                ]
            ),
            True,
        ),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(subject, key, (ca_name, ca_key), sans=None if client else sans, client=client)
        (pki / f"{name}.crt").write_bytes(_pem(cert))
        _write_key(pki / f"{name}.key", key)
    sa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_key(pki / "sa.key", sa)
    (pki / "sa.pub").write_bytes(
        sa.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def kubeconfig(pki: Path, server: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": {"server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [
            {
                "name": "admin",
                "user": {"client-certificate": str(pki / "admin.crt"), "client-key": str(pki / "admin.key")},
            }
        ],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "admin"}}],
        "current-context": "e2e",
    }


# --- the role's files --------------------------------------------------------------------------


def render_role_templates(out: Path) -> dict[str, Path]:
    """The audit policy and admission configuration a kubeadm control plane gets from the role."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    env = Environment(
        loader=FileSystemLoader(ROLE / "templates"), undefined=StrictUndefined, keep_trailing_newline=True
    )
    env.filters["to_json"] = json.dumps
    variables = {k: v for k, v in defaults.items() if isinstance(v, (list, int)) or "{{" not in str(v)}
    variables["ansible_managed"] = "rendered by e2e/harness from roles/kubeadm_control_plane"
    variables["__kubeadm_control_plane_minor"] = "1.34"  # set by the role's preflight; the harness runs v1.34
    files = {}
    for name in ("audit-policy.yaml", "admission-config.yaml"):
        text = env.get_template(f"{name}.j2").render(**variables)
        yaml.safe_load(text)  # a template that no longer renders YAML fails here, not in the apiserver
        (out / name).write_text(text)
        files[name] = out / name
    return files


def gpu_node_labels() -> dict[str, str]:
    """The labels roles/nvidia_driver derives from a real H200's nvidia-smi output."""
    sys.path.insert(0, str(ROOT / "roles" / "nvidia_driver" / "library"))
    try:
        import nvidia_gpu_facts  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    proc = GPU_FIXTURE / "proc-driver-nvidia-version.txt"
    facts = nvidia_gpu_facts.build_facts(
        None, proc.read_text() if proc.exists() else None, (GPU_FIXTURE / "nvidia-smi-q.xml").read_text()
    )
    labels: dict[str, str] = nvidia_gpu_facts.node_labels(facts)
    return labels


def kwok_stages(out: Path) -> Path:
    """kwok v0.8 needs its stages as config: upstream's `fast` set (nodes Ready with a lease heartbeat,
    pods Running and Ready at once), read from the pinned kwok module's kustomize/stage/fast."""
    module = subprocess.run(
        ["go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"],
        cwd=ROOT / "e2e" / "tools" / "kwok",
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    stages = subprocess.run(
        ["kubectl", "kustomize", f"{module}/kustomize/stage/fast"], check=True, capture_output=True, text=True
    ).stdout
    path = out / "kwok-stages.yaml"
    path.write_text(stages)
    return path


def node(name: str, *, gpus: int = 0, labels: dict[str, str] | None = None) -> dict[str, object]:
    capacity = {"cpu": "16", "memory": "64Gi", "pods": "110", "ephemeral-storage": "200Gi"}
    if gpus:
        capacity["nvidia.com/gpu"] = str(gpus)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "type": "kwok", **(labels or {})},
        },
        "spec": {},
        "status": {"allocatable": capacity, "capacity": capacity},
    }


def volumes(count: int = 12) -> list[dict[str, object]]:
    """SIMULATED storage: pre-made PersistentVolumes without a class, which the real PV controller
    binds to claims without one (there is no CSI driver, and kwok pods never mount anything)."""
    return [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": f"e2e-pv-{n}"},
            "spec": {
                "capacity": {"storage": "100Gi"},
                "accessModes": ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany"],
                "persistentVolumeReclaimPolicy": "Retain",
                "hostPath": {"path": f"/e2e-pv-{n}"},
            },
        }
        for n in range(count)
    ]


# --- processes ---------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: a child never outlives the supervisor
    os.setpgrp()


@dataclass
class Cluster:
    dir: Path
    tools: Path

    @property
    def kubeconfig(self) -> Path:
        return self.dir / "kubeconfig"

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.dir / "logs" / f"{name}.log", "wb")  # noqa: SIM115 - owned by the child
        return subprocess.Popen(
            [str(self.tools / args[0]), *args[1:]], stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )

    def _wait_http(self, url: str, what: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
        ctx = ssl.create_default_context(cafile=str(self.dir / "pki" / "ca.crt"))
        ctx.load_cert_chain(self.dir / "pki" / "admin.crt", self.dir / "pki" / "admin.key")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited ({proc.returncode}); see {self.dir}/logs/{what}.log")
            https = ctx if url.startswith("https") else None
            with contextlib.suppress(OSError), urllib.request.urlopen(url, context=https, timeout=2) as r:
                if r.status == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"{what} not ready at {url} after {timeout:.0f}s; see {self.dir}/logs/{what}.log")

    def start(self) -> list[subprocess.Popen[bytes]]:
        (self.dir / "logs").mkdir(parents=True, exist_ok=True)
        pki = self.dir / "pki"
        make_pki(pki)
        files = render_role_templates(self.dir)
        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        server = f"https://127.0.0.1:{api_port}"
        self.kubeconfig.write_text(yaml.safe_dump(kubeconfig(pki, server)))
        self.kubeconfig.chmod(0o600)
        procs = []
        etcd = self._spawn(
            "etcd",
            [
                "etcd",
                f"--data-dir={self.dir / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-cluster=default=http://127.0.0.1:{peer_port}",
                "--unsafe-no-fsync",
            ],
        )
        procs.append(etcd)
        self._wait_http(f"{etcd_url}/health", "etcd", etcd)
        api = self._spawn(
            "kube-apiserver",
            [
                "kube-apiserver",
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={api_port}",
                f"--cert-dir={self.dir / 'apiserver-certs'}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--allow-privileged=true",
                "--authorization-mode=RBAC",
                "--anonymous-auth=false",
                f"--service-account-issuer={server}/",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                f"--disable-admission-plugins={DISABLED_ADMISSION}",
                "--enable-admission-plugins=PodSecurity",
                f"--admission-control-config-file={files['admission-config.yaml']}",
                f"--audit-policy-file={files['audit-policy.yaml']}",
                f"--audit-log-path={self.dir / 'logs' / 'audit.log'}",
            ],
        )
        procs.append(api)
        self._wait_http(f"{server}/readyz", "kube-apiserver", api)
        kc = str(self.kubeconfig)
        common = [f"--kubeconfig={kc}", f"--authentication-kubeconfig={kc}", f"--authorization-kubeconfig={kc}"]
        common += ["--leader-elect=false", "--bind-address=127.0.0.1"]
        procs.append(
            self._spawn(
                "kube-controller-manager",
                [
                    "kube-controller-manager",
                    *common,
                    f"--secure-port={free_port()}",
                    f"--cert-dir={self.dir / 'kcm-certs'}",
                    f"--service-account-private-key-file={pki / 'sa.key'}",
                    f"--root-ca-file={pki / 'ca.crt'}",
                    "--use-service-account-credentials=true",
                ],
            )
        )
        procs.append(
            self._spawn(
                "kube-scheduler",
                ["kube-scheduler", *common, f"--secure-port={free_port()}", f"--cert-dir={self.dir / 'sched-certs'}"],
            )
        )
        procs.append(
            self._spawn(
                "kwok",
                [
                    "kwok",
                    f"--kubeconfig={kc}",
                    f"--config={kwok_stages(self.dir)}",
                    # Without leases the node lifecycle controller takes the nodes as unhealthy and
                    # marks every pod on them NotReady a few seconds after kwok made it Ready.
                    "--node-lease-duration-seconds=40",
                    "--manage-all-nodes=false",
                    f"--manage-nodes-with-annotation-selector={KWOK_ANNOTATION}=fake",
                    f"--server-address=127.0.0.1:{free_port()}",
                ],
            )
        )
        nodes = [node("cpu-0"), node("cpu-1"), node("gpu-0", gpus=8, labels=gpu_node_labels())]
        manifest = self.dir / "nodes.yaml"
        manifest.write_text(yaml.safe_dump_all([*nodes, *volumes()]))
        self.kubectl("apply", "-f", str(manifest))
        self.kubectl("wait", "--for=condition=Ready", "node", "--all", "--timeout=90s")
        return procs

    def kubectl(self, *args: str) -> str:
        return subprocess.run(
            ["kubectl", f"--kubeconfig={self.kubeconfig}", *args], check=True, capture_output=True, text=True
        ).stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def supervise(cluster: Cluster, ttl: float, owner: int = 0) -> int:
    """Run the control plane until SIGTERM/SIGINT, the TTL, or the end of the owner process (a
    test run killed before its fixture could stop it); then stop every child."""
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs = cluster.start()
        (cluster.dir / "ready").write_text(str(os.getpid()))
        deadline = time.monotonic() + ttl
        while not stop and time.monotonic() < deadline and (not owner or _alive(owner)):
            if any(p.poll() is not None for p in procs):
                dead = [p.args[0] for p in procs if p.poll() is not None]  # type: ignore[index]
                (cluster.dir / "failed").write_text(f"exited: {dead}\n")
                return 1
            time.sleep(0.5)
        return 0
    except Exception as err:
        (cluster.dir / "failed").write_text(f"{err}\n")
        return 1
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def tools_dir() -> Path:
    env = os.environ.get("KUBEFORGE_E2E_TOOLS")
    if env:
        return Path(env)
    out = subprocess.run([str(ROOT / "scripts" / "e2e-tools"), "--print"], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip() or "scripts/e2e-tools --print failed")
    return Path(out.stdout.strip())


def up(directory: Path, ttl: float, timeout: float = 240, owner: int = 0) -> int:
    """Start the supervisor detached from the caller; wait until the control plane is ready."""
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in ("ready", "failed", "supervisor.pid"):
        (directory / leftover).unlink(missing_ok=True)
    log = open(directory / "supervisor.log", "wb")  # noqa: SIM115 - owned by the child
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "e2e.harness.cluster",
            "_supervise",
            str(directory),
            "--ttl",
            str(ttl),
            "--owner",
            str(owner),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (directory / "supervisor.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (directory / "ready").exists():
            print(directory / "kubeconfig")
            return 0
        if (directory / "failed").exists() or proc.poll() is not None:
            proc.wait(timeout=30)
            reason = (directory / "failed").read_text().strip() if (directory / "failed").exists() else "exited"
            print(f"e2e-cluster: control plane failed: {reason} (logs in {directory}/logs)", file=sys.stderr)
            return 1
        time.sleep(0.5)
    down(directory)
    print(f"e2e-cluster: not ready after {timeout:.0f}s (logs in {directory}/logs)", file=sys.stderr)
    return 1


def down(directory: Path) -> int:
    pid_file = directory / "supervisor.pid"
    if not pid_file.exists():
        return 0
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            os.kill(pid, 0)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    (directory / "ready").unlink(missing_ok=True)
    return 0


@contextlib.contextmanager
def running(directory: Path, ttl: float = 3600) -> Iterator[Cluster]:
    """The control plane for the length of a with-block (the pytest fixture)."""
    tools = tools_dir()
    os.environ["KUBEFORGE_E2E_TOOLS"] = str(tools)
    if up(directory, ttl, owner=os.getpid()) != 0:
        logs = directory / "logs"
        tail = "".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(logs.glob("*.log")))
        raise RuntimeError(f"control plane did not start\n{tail}")
    try:
        yield Cluster(directory, tools)
    finally:
        down(directory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="e2e-cluster", description=__doc__)
    parser.add_argument("action", choices=["up", "down", "_supervise"])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--ttl", type=float, default=float(os.environ.get("KUBEFORGE_E2E_TTL", 7200)))
    parser.add_argument("--owner", type=int, default=0, help="stop when this process ends (0: never)")
    args = parser.parse_args(argv)
    directory = args.dir.resolve()
    if args.action == "down":
        return down(directory)
    if args.action == "up":
        try:
            os.environ["KUBEFORGE_E2E_TOOLS"] = str(tools_dir())
        except RuntimeError as err:
            print(f"e2e-cluster: {err}", file=sys.stderr)
            return 2
        return up(directory, args.ttl)
    return supervise(Cluster(directory, tools_dir()), args.ttl, args.owner)


if __name__ == "__main__":
    sys.exit(main())
