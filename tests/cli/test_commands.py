"""The everyday commands, run as a user runs them: exit 0 and output a script can rely on."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from harness import Run

from kubeforge.release.store import load_lock
from kubeforge.spec import PlatformSpec


def ok(result: object) -> str:
    assert getattr(result, "rc", None) == 0, result
    return str(result.stdout)  # type: ignore[attr-defined]


def test_help_lists_every_command(kubeforge: Run) -> None:
    out = ok(kubeforge("--help"))
    for command in ("lock", "fetch", "versions", "spec", "doctor", "render", "check", "review"):
        assert re.search(rf"^│ {command}\s", out, re.M), f"{command} missing from --help:\n{out}"


def test_no_arguments_prints_help(kubeforge: Run) -> None:
    result = kubeforge()
    # typer's no_args_is_help: the help on stdout, and exit 2 (a command is required).
    assert "Usage: kubeforge [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "Traceback" not in result.stderr
    assert result.rc == 2


def test_version_alone_prints_the_installed_version(kubeforge: Run) -> None:
    from importlib.metadata import version

    # It used to exit 2 ("Missing command"): click asked for a command before the option ran.
    assert ok(kubeforge("--version")).strip() == version("kubeforge")


@pytest.mark.parametrize("args", [("bogus",), ("spec", "show", "--output", "xml"), ("versions", "--no-such-flag")])
def test_a_usage_error_exits_2_without_a_traceback(kubeforge: Run, args: tuple[str, ...]) -> None:
    result = kubeforge(*args)
    assert "Traceback" not in result.stderr
    assert result.rc == 2


def test_versions_json(kubeforge: Run) -> None:
    data = json.loads(ok(kubeforge("versions", "--output", "json")))
    assert set(data) == {"26.03", "v1.11.0"}
    for key, info in data.items():
        lock = load_lock(key)
        assert info["upstream"] == f"kubeflow/manifests {key}"
        assert info["kubernetes"]["min"] == "1.34"
        assert info["kubernetes"]["max"] is None  # 1.34 and later
        assert info["components"] == {n: {"version": c.version, "core": c.core} for n, c in lock.components.items()}
        monitoring = {"kube-prometheus", "nvidia-device-plugin", "dcgm-exporter"} if key == "26.03" else set()
        assert set(info["sources"]) == {"manifests", "argo-workflows", "jobset", "lws", "calico", *monitoring}
    components = data["26.03"]["components"]
    assert components["pipelines"] == {"version": "2.16.0", "core": False}
    assert components["istio"]["core"] is True
    assert data["26.03"]["sources"]["manifests"]["commit"] == "d68ebc7fab366ab40ddd1541d2ec22febb31bc83"


def test_versions_table(kubeforge: Run) -> None:
    out = ok(kubeforge("versions"))
    assert "26.03 (kubeflow/manifests 26.03): Kubernetes >= 1.34" in out
    assert "v1.11.0 (kubeflow/manifests v1.11.0): Kubernetes >= 1.34" in out


def test_spec_show_gpu_json(kubeforge: Run) -> None:
    data = json.loads(ok(kubeforge("spec", "show", "--profile", "gpu", "--output", "json")))
    assert data["profile"] == "gpu"
    assert data["gpu"] == {
        "enabled": True,
        "driver_branch": "580",
        "sharing": {"strategy": "time-slicing", "replicas": 4, "mig_strategy": "single"},
    }
    # From production, which gpu extends.
    assert [c["id"] for c in data["identity"]["connectors"]] == ["corp-sso"]
    assert data["identity"]["connectors"][0]["issuer"] == "https://sso.example.com"
    assert data["cluster"]["provider"] == "kubeadm"
    assert data["ingress"]["tls"] == {"mode": "issuer", "issuer": "letsencrypt-prod"}
    assert "static_users" not in data["identity"] or data["identity"]["static_users"] == []


def test_spec_show_yaml_with_overrides(kubeforge: Run, tmp_path: Path) -> None:
    override = tmp_path / "o.yaml"
    override.write_text("ingress: {host: lab.example.com}\n", encoding="utf-8")
    out = ok(kubeforge("spec", "show", "-p", "kind", "-f", override))
    assert "host: lab.example.com" in out
    assert "provider: kind" in out


def test_spec_schema(kubeforge: Run) -> None:
    data = json.loads(ok(kubeforge("spec", "schema")))
    assert data == json.loads(json.dumps(PlatformSpec.model_json_schema(), default=str))
    assert data["title"] == "PlatformSpec"
    assert {"profile", "release", "cluster", "teams", "gpu"} <= set(data["properties"])


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
def test_doctor_json(kubeforge: Run) -> None:
    data = json.loads(ok(kubeforge("doctor", "--output", "json")))
    tools = {t["name"]: t for t in data["tools"]}
    assert set(tools) >= {"kubectl", "kustomize", "pulumi", "kind", "ansible-playbook"}
    assert tools["kubectl"]["found"] is True
    assert tools["kubectl"]["path"] == shutil.which("kubectl")
    assert re.match(r"v?\d+\.\d+", tools["kubectl"]["version"])
    assert all(t["needed_for"] for t in tools.values())
    kustomize = data["kustomize"]
    assert kustomize["found"] is True
    assert re.fullmatch(r"v\d+\.\d+\.\d+", kustomize["version"])
    assert kustomize["via"] in ("kubectl built-in", "kustomize binary")


def test_fetch_then_again_from_the_cache(kubeforge: Run, upstream: Path, tmp_path: Path) -> None:
    lock = load_lock("26.03")
    first = ok(kubeforge("fetch", "--release", "26.03", "--mirror", upstream))
    second = ok(kubeforge("fetch", "--release", "26.03", "--mirror", upstream))
    for out, origin in ((first, "mirror"), (second, "cache")):
        rows = [line for line in out.splitlines() if line.startswith("│ 26.03")]
        assert len(rows) == len(lock.sources), out
        assert all(f"│ {origin} " in row for row in rows), out
    cached = sorted(p.name for p in (tmp_path / "private" / "cache" / "sources").iterdir())
    assert cached == sorted(src.tree for src in lock.sources.values())


def test_fetch_json_every_release(kubeforge: Run, upstream: Path, tmp_path: Path) -> None:
    data = json.loads(ok(kubeforge("fetch", "--output", "json", env={"KUBEFORGE_MIRROR": str(upstream)})))
    assert set(data) == {"26.03", "v1.11.0"}
    cache = tmp_path / "private" / "cache"
    for key, report in data.items():
        lock = load_lock(key)
        assert report["release"] == key
        assert report["cache"] == str(cache)
        by_key = {s["key"]: s for s in report["sources"]}
        assert set(by_key) == set(lock.sources)
        for name, s in by_key.items():
            assert (s["tree"], s["files"], s["commit"]) == (
                lock.sources[name].tree,
                len(lock.sources[name].files),
                lock.sources[name].commit,
            )
            assert Path(s["path"]) == cache / "sources" / s["tree"]
    # Releases are fetched newest first; v1.11.0 shares every source but manifests with 26.03.
    assert {s["key"]: s["origin"] for s in data["26.03"]["sources"]} == dict.fromkeys(
        load_lock("26.03").sources, "mirror"
    )
    assert {s["key"]: s["origin"] for s in data["v1.11.0"]["sources"]} == {
        "manifests": "mirror",
        "argo-workflows": "cache",
        "calico": "cache",
        "jobset": "cache",
        "lws": "cache",
    }
