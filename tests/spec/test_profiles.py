"""Profiles load; `extends:` and overrides follow the documented merge rules; errors name the file that set the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubeforge.errors import BadInput
from kubeforge.paths import PROFILES_DIR
from kubeforge.spec import PlatformSpec, load_spec
from kubeforge.spec.load import profile_names

KIND_TEXT = (PROFILES_DIR / "kind.yaml").read_text(encoding="utf-8")


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    """A profiles folder of our own holding `base`, a copy of the kind profile."""
    folder = tmp_path / "profiles"
    write(folder / "base.yaml", KIND_TEXT)
    return folder


# What a user must add to a cloud profile: their own project or subscription (tests/spec/test_cloud.py).
ACCOUNT = {
    "gke": {"cloud": {"project": "ml-platform-prod"}},
    "aks": {"cloud": {"subscription": "00000000-0000-0000-0000-000000000001"}},
}


def test_the_shipped_profiles_are_the_documented() -> None:
    assert profile_names() == ["aks", "eks", "gke", "gpu", "kind", "production"]


@pytest.mark.parametrize("name", profile_names())
def test_each_profile_loads(name: str) -> None:
    spec = load_spec(name, extra=ACCOUNT.get(name))
    assert isinstance(spec, PlatformSpec)
    assert spec.profile == name
    assert spec.release == "26.03"
    assert spec.teams, "every profile ships at least one example team"


def test_kind_is_a_laptop() -> None:
    spec = load_spec("kind")
    assert spec.is_kind
    assert [u.email for u in spec.identity.static_users] == ["user@example.com"]
    assert spec.identity.connectors == []
    assert spec.sizing.replicas == 1
    assert not spec.enabled("spark")


def test_gpu_extends_production() -> None:
    production, gpu = load_spec("production"), load_spec("gpu")
    assert (gpu.gpu.enabled, gpu.gpu.sharing.strategy, gpu.gpu.sharing.replicas) == (True, "time-slicing", 4)
    assert not production.gpu.enabled
    # Inherited whole: maps gpu.yaml does not mention.
    assert gpu.identity == production.identity
    assert gpu.identity.connectors[0].id == "corp-sso"
    assert gpu.cluster == production.cluster
    assert gpu.ingress == production.ingress
    assert gpu.components == production.components
    # gpu.yaml states its own teams list: it replaces production's.
    assert [t.quota.gpu for t in gpu.teams] == [8]
    assert [t.quota.gpu for t in production.teams] == [0]


def test_merge_rules_are_documented_in_the_kind_profile() -> None:
    comments = " ".join(line for line in KIND_TEXT.splitlines() if line.startswith("#"))
    assert "extends:" in comments
    assert "maps deep-merge" in comments
    assert "lists and scalars replace" in comments


def test_child_overriding_one_nested_key_keeps_its_siblings(profiles: Path) -> None:
    write(profiles / "child.yaml", {"extends": "base", "sizing": {"sidecar": {"requests": {"cpu": "7m"}}}})
    base, child = load_spec("base", profiles=profiles), load_spec("child", profiles=profiles)
    assert child.sizing.sidecar.requests.cpu == "7m"
    assert base.sizing.sidecar.requests.cpu == "5m"
    # Siblings at every level are the parent's.
    assert child.sizing.sidecar.requests.memory == base.sizing.sidecar.requests.memory == "24Mi"
    assert child.sizing.sidecar.limits == base.sizing.sidecar.limits
    assert child.sizing.max_requests == base.sizing.max_requests
    assert child.sizing.replicas == base.sizing.replicas == 1
    assert child.model_dump(exclude={"profile", "sizing"}) == base.model_dump(exclude={"profile", "sizing"})


def test_child_list_replaces_the_parents_list_whole(profiles: Path) -> None:
    parent_team = {"name": "shared", "owners": ["a@example.com"], "quota": {"cpu": "3"}}
    write(
        profiles / "parent.yaml",
        {"extends": "base", "teams": [parent_team, {"name": "b", "owners": ["b@example.com"]}]},
    )
    # Same team name, fewer fields: a list item is not merged with the parent's item.
    write(profiles / "child.yaml", {"extends": "parent", "teams": [{"name": "shared", "owners": ["c@example.com"]}]})
    parent, child = load_spec("parent", profiles=profiles), load_spec("child", profiles=profiles)
    assert [t.name for t in parent.teams] == ["shared", "b"]
    assert [t.name for t in child.teams] == ["shared"]
    assert child.teams[0].owners == ["c@example.com"]
    assert child.teams[0].quota.cpu == "8"  # the model's default, not the parent's "3"


def test_scalars_replace_and_a_chain_merges_base_first(profiles: Path) -> None:
    write(profiles / "mid.yaml", {"extends": "base", "ingress": {"host": "mid.example.com", "port": 9443}})
    write(profiles / "top.yaml", {"extends": "mid", "ingress": {"host": "top.example.com"}})
    spec = load_spec("top", profiles=profiles)
    assert (spec.ingress.host, spec.ingress.port, spec.ingress.tls.mode) == ("top.example.com", 9443, "self-signed")


def test_overrides_are_merged_last_in_order(profiles: Path, tmp_path: Path) -> None:
    write(profiles / "child.yaml", {"extends": "base", "ingress": {"host": "child.example.com"}})
    first = write(
        tmp_path / "first.yaml", {"ingress": {"host": "first.example.com", "port": 1111}, "sizing": {"replicas": 3}}
    )
    second = write(tmp_path / "second.yaml", {"ingress": {"port": 2222}})
    spec = load_spec("child", [first, second], profiles=profiles)
    assert (spec.ingress.host, spec.ingress.port) == ("first.example.com", 2222)
    assert spec.sizing.replicas == 3
    assert spec.sizing.sidecar.requests.memory == "24Mi"  # overrides deep-merge too
    assert spec.profile == "child"
    # Stack config (`extra`) comes after every overrides file.
    spec = load_spec("child", [first, second], profiles=profiles, extra={"ingress": {"port": 3333}})
    assert spec.ingress.port == 3333


def test_an_overrides_file_cannot_extend(profiles: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "o.yaml", {"extends": "base"})
    with pytest.raises(BadInput) as err:
        load_spec("base", [bad], profiles=profiles)
    assert (err.value.file, err.value.field) == (str(bad), "extends")


def test_an_error_names_the_file_that_set_the_field(profiles: Path, tmp_path: Path) -> None:
    write(profiles / "child.yaml", {"extends": "base", "ingress": {"port": 70000}})
    other = write(tmp_path / "o.yaml", {"ingress": {"host": "ok.example.com"}})
    with pytest.raises(BadInput) as err:
        load_spec("child", [other], profiles=profiles)
    assert (err.value.file, err.value.field) == (str(profiles / "child.yaml"), "ingress.port")
    # The same field set again by an overrides file: now the overrides file is to blame.
    worse = write(tmp_path / "worse.yaml", {"ingress": {"port": 0}})
    with pytest.raises(BadInput) as err:
        load_spec("child", [worse], profiles=profiles)
    assert (err.value.file, err.value.field) == (str(worse), "ingress.port")


def test_a_quantity_written_as_a_yaml_number_is_accepted(profiles: Path, tmp_path: Path) -> None:
    override = write(
        tmp_path / "o.yaml", "teams:\n  - name: t\n    owners: [a@example.com]\n    quota: {cpu: 4, memory: 8Gi}\n"
    )
    spec = load_spec("base", [override], profiles=profiles)
    assert spec.teams[0].quota.cpu == "4"
