"""The spec's cloud section: what each cloud requires, as one line naming the file and the field."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeforge.errors import BadInput
from kubeforge.paths import PROFILES_DIR
from kubeforge.spec import load_spec

KUBEFORGE = Path(sys.executable).parent / "kubeforge"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"


def profiles_without(tmp_path: Path, cloud: str, field: str) -> Path:
    """A profiles folder with production and the cloud profile, the given cloud field removed from the latter."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    shutil.copy(PROFILES_DIR / "production.yaml", folder / "production.yaml")
    doc = yaml.safe_load((PROFILES_DIR / f"{cloud}.yaml").read_text(encoding="utf-8"))
    doc["cloud"].pop(field, None)
    (folder / f"{cloud}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return folder


def error(profile: str, extra: dict[str, Any] | None = None, profiles: Path = PROFILES_DIR) -> str:
    with pytest.raises(BadInput) as info:
        load_spec(profile, profiles=profiles, extra=extra)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("cloud", ["eks", "gke", "aks"])
def test_a_cloud_profile_without_its_region(tmp_path: Path, cloud: str) -> None:
    folder = profiles_without(tmp_path, cloud, "region")
    account = {"eks": {}, "gke": {"project": "ml-platform-prod"}, "aks": {"subscription": SUBSCRIPTION}}[cloud]
    extra = {"cloud": account}
    message = error(cloud, extra, folder)
    assert message.startswith(f"{folder / f'{cloud}.yaml'}: cloud.region: cloud.provider {cloud} needs the ")
    assert "region" in message.split("needs", 1)[1]


def test_gke_without_its_project_names_the_field() -> None:
    message = error("gke")
    assert message == f"{PROFILES_DIR / 'gke.yaml'}: cloud.project: cloud.provider gke needs the GCP project id"


def test_aks_without_its_subscription_names_the_field() -> None:
    message = error("aks")
    assert message == (
        f"{PROFILES_DIR / 'aks.yaml'}: cloud.subscription: cloud.provider aks needs the Azure subscription id"
    )


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "KUBEFORGE_STATE": str(tmp_path / "state")}
    proc = subprocess.run(
        [str(KUBEFORGE), "spec", "show", "--profile", "gke"], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "gke.yaml: cloud.project: cloud.provider gke needs the GCP project id" in lines[0]


def test_a_malformed_subscription_names_the_field() -> None:
    message = error("aks", {"cloud": {"subscription": "my-subscription"}})
    assert message.startswith("stack config: cloud.subscription: 'my-subscription' does not match")


def test_a_public_endpoint_needs_its_cidrs() -> None:
    message = error("eks", {"cloud": {"endpoint": {"public": True}}})
    assert message.endswith("cloud.endpoint.public_cidrs: a public API endpoint needs the CIDRs allowed to reach it")


def test_pool_bounds_are_checked() -> None:
    message = error("eks", {"cloud": {"gpu_pool": {"min": 3, "max": 1}}})
    assert message.endswith(": cloud.gpu_pool: min 3 is above max 1")


def test_a_cloud_needs_a_managed_cluster_provider() -> None:
    message = error("eks", {"cluster": {"provider": "kubeadm"}})
    assert message.endswith("cluster.provider: cloud.provider eks needs cluster.provider managed, got 'kubeadm'")


def test_the_shipped_cloud_profiles_extend_production_with_gpus() -> None:
    production = load_spec("production")
    for cloud, extra in (("eks", {}), ("gke", {"cloud": {"project": "ml-platform-prod"}})):
        spec = load_spec(cloud, extra=extra)
        assert spec.cloud.provider == cloud and spec.cluster.provider == "managed"
        assert spec.gpu.enabled and spec.cloud.gpu_pool.min == 0
        assert spec.identity == production.identity and spec.ingress == production.ingress
        assert not spec.cloud.endpoint.public
