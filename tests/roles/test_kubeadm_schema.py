"""The kubeadm v1beta4 structural schema rejects what kubeadm would reject (so it can fail)."""

from __future__ import annotations

import jsonschema
import pytest
from kubeadm_schema import validate_documents

GOOD = """
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.34.0
apiServer:
  extraArgs:
    - name: audit-log-path
      value: /var/log/kubernetes/audit/audit.log
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 10.0.0.10:6443
    token: abcdef.0123456789abcdef
    caCertHashes: ["sha256:%s"]
""" % ("0" * 64)


def test_good_documents_pass():
    assert [d["kind"] for d in validate_documents(GOOD)] == ["ClusterConfiguration", "JoinConfiguration"]


@pytest.mark.parametrize(
    "bad",
    [
        # v1beta3 shape: extraArgs as a map
        GOOD.replace(
            "    - name: audit-log-path\n      value: /var/log/kubernetes/audit/audit.log", "    audit-log-path: /x"
        ),
        GOOD.replace(
            "kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration", "kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration"
        ),
        GOOD.replace("kubernetesVersion: v1.34.0", "kubernetesVersion: v1.34.0\nkubernetesVerison: v1"),
        GOOD.replace("kubernetesVersion: v1.34.0", "kubernetesVersion: 1.34.0"),
        GOOD.replace("abcdef.0123456789abcdef", "not-a-token"),
        GOOD.replace("kind: JoinConfiguration", "kind: JoinConfig"),
    ],
    ids=["map-extraArgs", "v1beta3", "typo-field", "version-no-v", "bad-token", "unknown-kind"],
)
def test_bad_documents_fail(bad):
    with pytest.raises(jsonschema.ValidationError):
        validate_documents(bad)
