"""The platform_upgrade role: its database dump and restore against a real MariaDB server started here on
loopback, its backup manifest (a changed, missing or extra file is refused, also by the rollback playbook),
and the playbooks' syntax and check mode.

The MariaDB server is Debian's (`apt-get install mariadb-server`, in .ci/run): skipped without it on a
laptop, a failure under CI=true. In the cluster the same commands run through `kubectl exec` in the
MySQL pods; here the prefix is empty and the client talks TCP to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "roles" / "platform_upgrade" / "files" / "platform_backup.py"
PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PASSWORD = "root-pw-for-the-test"


def _need(binary: str) -> str:
    found = shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None)
    if found is None:
        message = f"{binary} is not installed (apt-get install mariadb-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true: a missing server fails the suite")
        pytest.skip(message)
    return found


@dataclass
class Server:
    port: int
    socket: Path

    def sql(self, statement: str) -> str:
        out = subprocess.run(
            [
                "mysql",
                "--protocol=TCP",
                "--host=127.0.0.1",
                f"--port={self.port}",
                "--user=root",
                "-N",
                "-B",
                "-e",
                statement,
            ],
            env={**os.environ, "MYSQL_PWD": PASSWORD},
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout

    @property
    def client_args(self) -> list[str]:
        return [
            f"--client-arg={a}" for a in ("--protocol=TCP", "--host=127.0.0.1", f"--port={self.port}", "--user=root")
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    daemon, install = _need("mariadbd"), _need("mariadb-install-db")
    base = tmp_path_factory.mktemp("mariadb")
    data, sock, port = base / "data", base / "mysqld.sock", _free_port()
    user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            install,
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *user,
        ],
        capture_output=True,
        check=True,
    )
    proc = subprocess.Popen(
        [daemon, "--no-defaults", f"--datadir={data}", f"--socket={sock}", f"--port={port}", "--bind-address=127.0.0.1", "--skip-name-resolve",
         f"--pid-file={base / 'mysqld.pid'}", "--skip-log-bin", *user],
        stdout=subprocess.DEVNULL,
        stderr=(base / "mysqld.err").open("wb"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            ping = subprocess.run(["mysqladmin", f"--socket={sock}", "--user=root", "ping"], capture_output=True)
            if ping.returncode == 0:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mariadbd did not start: {(base / 'mysqld.err').read_text()[-2000:]}")
            time.sleep(0.3)
        grant = f"CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
        subprocess.run(["mysql", f"--socket={sock}", "--user=root", "-e", grant], check=True)
        yield Server(port, sock)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def tool(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


ROOT_PW = {"MYSQL_ROOT_PASSWORD": PASSWORD}  # what the server's container has; the tool passes it as MYSQL_PWD


def test_dump_and_restore_where_the_schema_moved(mariadb: Server, tmp_path: Path) -> None:
    mariadb.sql(
        "CREATE DATABASE mlpipeline; CREATE DATABASE cachedb;"
        "CREATE TABLE mlpipeline.runs (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64));"
        "INSERT INTO mlpipeline.runs (name) VALUES ('train'), ('eval');"
        "CREATE TABLE cachedb.entries (k VARCHAR(64) PRIMARY KEY, v TEXT); INSERT INTO cachedb.entries VALUES ('a', 'b');"
    )
    backup = tmp_path / "backup"
    dumped = tool(
        "db-dump", backup, "--name", "kfp", "--db=mlpipeline", "--db=cachedb", *mariadb.client_args, "--", env=ROOT_PW
    )
    assert dumped.returncode == 0, dumped.stderr
    assert "kfp: dumped mlpipeline, cachedb" in dumped.stdout
    assert b"INSERT INTO `runs`" in (backup / "databases" / "kfp.sql").read_bytes()

    # The schema unchanged: nothing restored, rows written since the backup are kept.
    mariadb.sql("INSERT INTO mlpipeline.runs (name) VALUES ('after-backup')")
    kept = tool(
        "db-restore", backup, "--name", "kfp", "--only-if-schema-moved", *mariadb.client_args, "--", env=ROOT_PW
    )
    assert kept.returncode == 0 and "schema unchanged" in kept.stdout, kept.stderr
    assert "after-backup" in mariadb.sql("SELECT name FROM mlpipeline.runs")

    # What a newer release's migration does: a new column, a new table, rewritten rows. Restored.
    mariadb.sql(
        "ALTER TABLE mlpipeline.runs ADD COLUMN state VARCHAR(16); UPDATE mlpipeline.runs SET name = 'moved';"
        "CREATE TABLE mlpipeline.tasks (id INT PRIMARY KEY); DELETE FROM cachedb.entries;"
    )
    restored = tool(
        "db-restore", backup, "--name", "kfp", "--only-if-schema-moved", *mariadb.client_args, "--", env=ROOT_PW
    )
    assert restored.returncode == 0, restored.stderr
    assert "kfp: restored mlpipeline, cachedb" in restored.stdout
    assert mariadb.sql("SELECT name FROM mlpipeline.runs ORDER BY id").split() == ["train", "eval"]
    assert mariadb.sql("SHOW TABLES FROM mlpipeline").split() == ["runs"]
    assert "state" not in mariadb.sql("SHOW COLUMNS FROM mlpipeline.runs")
    assert mariadb.sql("SELECT v FROM cachedb.entries").split() == ["b"]
    again = tool(
        "db-restore", backup, "--name", "kfp", "--only-if-schema-moved", *mariadb.client_args, "--", env=ROOT_PW
    )
    assert "schema unchanged" in again.stdout, "a second rollback restores nothing"


def test_a_wrong_password_fails_with_the_servers_reason(mariadb: Server, tmp_path: Path) -> None:
    bad = tool(
        "db-dump",
        tmp_path,
        "--name",
        "kfp",
        "--db=mysql",
        *mariadb.client_args,
        "--",
        env={"MYSQL_ROOT_PASSWORD": "nope"},
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: mysqldump failed (exit 2):") and "Access denied" in bad.stderr
    assert len(bad.stderr.splitlines()) == 1


def backup_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "kind-v1.11.0-20260101T000000Z"
    (folder / "databases").mkdir(parents=True)
    (folder / "stack.json").write_text('{"version": 3}\n')
    (folder / "databases" / "kfp.sql").write_text("-- dump\n")
    made = tool("manifest", folder, "--stack", "kind", "--release", "v1.11.0")
    assert made.returncode == 0, made.stderr
    return folder


def test_manifest_verifies_and_refuses_any_change(tmp_path: Path) -> None:
    folder = backup_folder(tmp_path)
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    assert sorted(manifest["files"]) == ["databases/kfp.sql", "stack.json"]
    assert (manifest["stack"], manifest["release"]) == ("kind", "v1.11.0")
    assert tool("verify", folder).returncode == 0

    (folder / "databases" / "kfp.sql").write_text("-- dump, edited\n")
    changed = tool("verify", folder)
    assert changed.returncode == 1 and "kfp.sql: sha256 mismatch" in changed.stderr
    (folder / "databases" / "kfp.sql").write_text("-- dump\n")
    (folder / "extra.yaml").write_text("x\n")
    assert "extra.yaml: not in MANIFEST.json" in tool("verify", folder).stderr
    (folder / "extra.yaml").unlink()
    (folder / "stack.json").unlink()
    assert "stack.json: listed in MANIFEST.json but missing" in tool("verify", folder).stderr


def playbook(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    if not PLAYBOOK.is_file():
        pytest.skip(f"ansible-playbook is not installed next to {sys.executable}")
    return subprocess.run(
        [str(PLAYBOOK), "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", **(env or {})},
    )


def test_playbooks_pass_syntax_check() -> None:
    result = playbook("--syntax-check", "playbooks/upgrade-platform.yml", "playbooks/rollback-platform.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("check", [False, True])
def test_rollback_refuses_a_backup_whose_checksums_do_not_match(tmp_path: Path, check: bool) -> None:
    folder = backup_folder(tmp_path)
    (folder / "stack.json").write_text('{"version": 3, "edited": true}\n')
    result = playbook(
        "playbooks/rollback-platform.yml",
        "-e", f"platform_upgrade_backup_dir={folder}",
        "-e", f"platform_upgrade_python={sys.executable}",
        *(["--check"] if check else []),
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "rollback stopped at 'Verify every file of the backup against its manifest'" in out
    assert "stack.json: sha256 mismatch" in out
    assert "pulumi" not in out.split("Verify every file")[1].split("rollback stopped")[0], "nothing ran after it"


# The upgrade playbook against localhost with kubectl and the Pulumi CLI simulated (no cluster or Pulumi
# engine here: they answer what a v1.11.0 stack on Kubernetes 1.34 answers, and log every call);
# kubeforge is the real one, so the preflight's `kubeforge diff` renders both releases.
FAKE_KUBECTL = """#!/bin/bash
echo "kubectl $*" >> "$FAKE_LOG"
case "$*" in
  "version --client --output=json") echo '{"clientVersion": {"major": "1", "minor": "34"}}' ;;
  "version --output=json") echo "{\\"serverVersion\\": {\\"major\\": \\"1\\", \\"minor\\": \\"$FAKE_MINOR\\", \\"gitVersion\\": \\"v1.$FAKE_MINOR.4\\"}}" ;;
  "get deployments --all-namespaces --selector=kubeforge.io/component --output=json")
    echo '{"items": [{"spec": {"replicas": 1}, "status": {"availableReplicas": 1}}]}' ;;
  "get service minio-service --namespace kubeflow --output yaml") echo 'kind: Service' ;;
  "get crd workflows.argoproj.io") exit 0 ;;
  "get crd experiments.kubeflow.org") exit 1 ;;
  "get workflows.argoproj.io --all-namespaces -o jsonpath="*) printf "$FAKE_RUNS" ;;
  *) echo "unexpected: kubectl $*" >&2; exit 3 ;;
esac
"""
FAKE_PULUMI = """#!/bin/bash
echo "pulumi $*" >> "$FAKE_LOG"
case "$*" in
  version) echo v3.0.0 ;;
  "stack output release --stack kind") echo "$FAKE_RELEASE" ;;
  "config get kubeforge:spec --stack kind")
    if [ -n "$FAKE_SPEC" ]; then echo "$FAKE_SPEC"
    else echo "error: configuration key 'kubeforge:spec' not found for stack 'kind'" >&2; exit 1; fi ;;
  *) echo "unexpected: pulumi $*" >&2; exit 3 ;;
esac
"""


@pytest.fixture
def fake_tools(tmp_path: Path, source_cache: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("kubectl", FAKE_KUBECTL), ("pulumi", FAKE_PULUMI)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    profile = tmp_path / "noknative.yaml"
    profile.write_text("extends: kind\ncomponents:\n  knative: {enabled: false}\n  kserve: {enabled: false}\n")
    return {
        "bin": str(bin_dir),
        "log": str(tmp_path / "calls.log"),
        "profile": str(profile),
        "backups": str(tmp_path / "backups"),
        "cache": str(source_cache),
    }


def upgrade(
    tools: dict[str, str],
    *extra: str,
    release: str = "v1.11.0",
    minor: str = "34",
    runs: str = "",
    profile: str = "",
    spec: str = "",
) -> subprocess.CompletedProcess[str]:
    return playbook(
        "playbooks/upgrade-platform.yml",
        "-e", f"platform_upgrade_kubectl={tools['bin']}/kubectl",
        "-e", f"platform_upgrade_pulumi_cli={tools['bin']}/pulumi",
        "-e", json.dumps({"platform_upgrade_pulumi": [tools["bin"] + "/pulumi"]}),
        "-e", f"platform_upgrade_kubeforge={Path(sys.executable).parent / 'kubeforge'}",
        "-e", f"platform_upgrade_python={sys.executable}",
        "-e", f"platform_upgrade_profile={profile or tools['profile']}",
        "-e", f"platform_upgrade_backup_root={tools['backups']}",
        "-e", "platform_upgrade_wait_for_runs=false",
        *extra,
        env={"FAKE_LOG": tools["log"], "FAKE_RELEASE": release, "FAKE_MINOR": minor, "FAKE_RUNS": runs,
             "FAKE_SPEC": spec, "KUBEFORGE_CACHE": tools["cache"]},
    )  # fmt: skip


def calls(tools: dict[str, str]) -> list[str]:
    return Path(tools["log"]).read_text().splitlines()


@pytest.mark.slow
def test_check_mode_reports_what_the_upgrade_would_do_and_changes_nothing(fake_tools: dict[str, str]) -> None:
    result = upgrade(fake_tools, "--check")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "would back up to " + fake_tools["backups"] + "/kind-v1.11.0-" in out
    assert "would set kubeforge:spec.release=26.03 on stack kind" in out
    assert "artifact-store-endpoint" in out, "the release's migration steps are listed"
    assert not Path(fake_tools["backups"]).exists()
    assert [c for c in calls(fake_tools) if c.startswith("pulumi")] == [
        "pulumi version",
        "pulumi stack output release --stack kind",
        "pulumi config get kubeforge:spec --stack kind",
    ]
    assert all(c.split()[1] in ("version", "get") for c in calls(fake_tools) if c.startswith("kubectl")), (
        "read-only calls only"
    )


@pytest.mark.slow
def test_a_blocking_diff_stops_the_upgrade_before_anything_changes(fake_tools: dict[str, str]) -> None:
    result = upgrade(fake_tools, profile="kind")  # knative on: v1.16 -> v1.21 is refused
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "upgrade stopped at 'Refuse what the diff says is blocking'" in out
    assert "knative: v1.16.2 -> v1.21.1 skips 4 minor versions" in out
    assert "nothing was changed" in out
    assert not Path(fake_tools["backups"]).exists()


@pytest.mark.slow
def test_the_diff_reads_the_stacks_own_spec(fake_tools: dict[str, str]) -> None:
    # The kind profile blocks (Knative); the stack's kubeforge:spec switches Knative and KServe off.
    spec = '{"release": "v1.11.0", "components": {"knative": {"enabled": false}, "kserve": {"enabled": false}}}'
    result = upgrade(fake_tools, "--check", profile="kind", spec=spec)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "would set kubeforge:spec.release=26.03 on stack kind" in out


@pytest.mark.slow
def test_runs_in_flight_are_listed_and_refused(fake_tools: dict[str, str]) -> None:
    result = upgrade(fake_tools, runs="workflow team-a/train-7\\n")
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "still running (platform_upgrade_wait_for_runs is false): workflow team-a/train-7" in out


def test_kubernetes_outside_the_target_range_is_refused(fake_tools: dict[str, str]) -> None:
    result = upgrade(fake_tools, minor="33")
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "Kubernetes v1.33.4 is outside release 26.03's range (>= 1.34)" in out


def test_a_stack_at_the_target_release_is_left_alone(fake_tools: dict[str, str]) -> None:
    result = upgrade(fake_tools, release="26.03")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "stack kind is at release 26.03 already: nothing to do" in out
    assert "changed=0" in out
    assert not any(" diff " in c or c.startswith("pulumi up") for c in calls(fake_tools))


FAKE_PULUMI_ROLLBACK = """#!/bin/bash
echo "pulumi $*" >> "$FAKE_LOG"
case "$*" in
  "stack output release --stack kind") cat "$FAKE_STATE" ;;
  "config set --path kubeforge:spec.release "*" --stack kind") echo "$5" > "$FAKE_STATE" ;;
  "up --stack kind --yes") echo "Resources: 12 updated" ;;
  *) echo "unexpected: pulumi $*" >&2; exit 3 ;;
esac
"""


def test_rollback_puts_the_release_back_and_restores_a_moved_schema(mariadb: Server, tmp_path: Path) -> None:
    """The rollback playbook, for real against MariaDB, with the Pulumi CLI simulated (it keeps the
    stack's release in a file and logs each call)."""
    mariadb.sql(
        "CREATE DATABASE katib; CREATE TABLE katib.trials (id INT PRIMARY KEY); INSERT INTO katib.trials VALUES (1);"
    )
    folder = tmp_path / "kind-v1.11.0-20260101T000000Z"
    dumped = tool("db-dump", folder, "--name", "katib", "--db=katib", *mariadb.client_args, "--", env=ROOT_PW)
    assert dumped.returncode == 0, dumped.stderr
    assert tool("manifest", folder, "--stack", "kind", "--release", "v1.11.0").returncode == 0
    mariadb.sql(
        "ALTER TABLE katib.trials ADD COLUMN score DOUBLE; INSERT INTO katib.trials VALUES (2, 0.5);"
    )  # 26.03's

    pulumi, state, log = tmp_path / "pulumi", tmp_path / "release", tmp_path / "calls.log"
    pulumi.write_text(FAKE_PULUMI_ROLLBACK)
    pulumi.chmod(0o755)
    state.write_text("26.03\n")
    databases = [{"name": "katib", "exec": [], "databases": ["katib"]}]
    client = ["--protocol=TCP", "--host=127.0.0.1", f"--port={mariadb.port}", "--user=root"]

    def rollback(*extra: str) -> subprocess.CompletedProcess[str]:
        return playbook(
            "playbooks/rollback-platform.yml",
            "-e", json.dumps({
                "platform_upgrade_backup_dir": str(folder),
                "platform_upgrade_python": sys.executable,
                "platform_upgrade_pulumi_cli": str(pulumi),
                "platform_upgrade_pulumi": [str(pulumi)],
                "platform_upgrade_databases": databases,
                "platform_upgrade_db_client_args": client,
                "platform_upgrade_environment": ROOT_PW,
            }),
            *extra,
            env={"FAKE_LOG": str(log), "FAKE_STATE": str(state)},
        )  # fmt: skip

    checked = rollback("--check")
    assert checked.returncode == 0, checked.stdout
    assert "would put stack kind back from 26.03 to v1.11.0" in checked.stdout
    assert state.read_text() == "26.03\n" and "score" in mariadb.sql("SHOW COLUMNS FROM katib.trials")

    done = rollback()
    assert done.returncode == 0, done.stdout
    assert state.read_text() == "v1.11.0\n"
    assert "pulumi up --stack kind --yes" in log.read_text()
    assert "katib: restored katib" in done.stdout
    assert mariadb.sql("SELECT id FROM katib.trials").split() == ["1"]
    assert "score" not in mariadb.sql("SHOW COLUMNS FROM katib.trials")
    assert f"backup: {folder}" in done.stdout

    log.write_text("")
    again = rollback()
    assert again.returncode == 0, again.stdout
    assert "changed=0" in again.stdout, "a second rollback changes nothing"
    assert log.read_text().splitlines() == ["pulumi stack output release --stack kind"]
