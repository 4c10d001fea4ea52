"""Bad team input: one clear line naming file and field, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubeforge.errors import EXIT_BAD_INPUT, BadInput
from kubeforge.spec import load_spec


def _profile(tmp_path: Path, teams: list[dict[str, object]], groups: list[dict[str, str]] | None = None) -> Path:
    doc = {
        "cluster": {"provider": "kubeadm", "api_server": ["10.0.0.10/32"]},
        "teams": teams,
        "identity": {"groups": groups or []},
    }
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path


def _error(tmp_path: Path) -> BadInput:
    with pytest.raises(BadInput) as info:
        load_spec("p", profiles=tmp_path)
    assert info.value.exit_code == EXIT_BAD_INPUT
    assert "\n" not in str(info.value)
    return info.value


def test_team_named_like_a_platform_namespace(tmp_path: Path) -> None:
    err = _error(_profile(tmp_path, [{"name": "kubeflow", "owners": ["a@example.com"]}]))
    assert err.field == "teams.0.name" and err.file == str(tmp_path / "p.yaml")
    assert "'kubeflow' is a platform or system namespace" in str(err)


@pytest.mark.parametrize("name", ["kube-system", "kube-anything", "istio-system", "default"])
def test_system_namespaces_are_reserved_too(tmp_path: Path, name: str) -> None:
    assert _error(_profile(tmp_path, [{"name": name, "owners": ["a@example.com"]}])).field == "teams.0.name"


def test_quota_below_limitrange_defaults(tmp_path: Path) -> None:
    team = {
        "name": "t",
        "owners": ["a@example.com"],
        "quota": {"memory": "1Gi"},
        "limits": {"default": {"cpu": "1", "memory": "2Gi"}},
    }
    err = _error(_profile(tmp_path, [team]))
    assert err.field == "teams.0.quota.memory"
    assert "quota 1Gi is below the LimitRange default 2Gi" in str(err)


def test_egress_entry_not_a_cidr(tmp_path: Path) -> None:
    team = {"name": "t", "owners": ["a@example.com"], "egress": {"cidrs": ["10.0.0.300/8"]}}
    err = _error(_profile(tmp_path, [team]))
    assert err.field == "teams.0.egress.cidrs.0" and "is not a CIDR" in str(err)


def test_group_mapped_to_unknown_team(tmp_path: Path) -> None:
    teams = [{"name": "t", "owners": ["a@example.com"]}]
    err = _error(_profile(tmp_path, teams, [{"group": "g", "team": "nope"}]))
    assert err.field == "identity.groups.0.team" and "unknown team 'nope'" in str(err)


def test_a_good_team_loads(tmp_path: Path) -> None:
    spec = load_spec("p", profiles=_profile(tmp_path, [{"name": "t", "owners": ["a@example.com"]}]))
    assert [t.name for t in spec.teams] == ["t"]
