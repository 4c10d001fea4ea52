"""Real upstream 26.03 content from the mirror (read at run time, never copied into the repo)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from kubeforge.check.validate import validate_objects

from .conftest import K8S, kustomize, load_yaml_docs

TRAINJOB_CRD = "applications/trainer/upstream/base/crds/trainer.kubeflow.org_trainjobs.yaml"


def trainjob(**trainer: Any) -> dict[str, Any]:
    return {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "TrainJob",
        "metadata": {"name": "mnist", "namespace": "team-a"},
        "spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": {"numNodes": 2, **trainer}},
    }


def test_trainjob_against_its_real_crd(manifests_2603: Path) -> None:
    crds = load_yaml_docs(manifests_2603 / TRAINJOB_CRD)
    good = trainjob(numProcPerNode="auto", resourcesPerNode={"limits": {"nvidia.com/gpu": 1, "memory": "8Gi"}})
    findings = validate_objects([*crds, good, trainjob(numProcPerNode=4)], K8S)
    assert [f for f in findings if f.severity != "info"] == []
    # Root-level CEL rules are reached by every TrainJob: reported once, as not checked.
    cel = [f.message for f in findings if f.rule == "schema/cel-not-checked"]
    assert "CEL rule not checked: size(self.metadata.name) <= 63" in cel
    assert len(cel) == len(set(cel))


def test_trainjob_violations(manifests_2603: Path) -> None:
    crds = load_yaml_docs(manifests_2603 / TRAINJOB_CRD)
    no_ref = trainjob()
    del no_ref["spec"]["runtimeRef"]
    bad = [trainjob(numNodes="two"), trainjob(numProcPerNode=[1]), trainjob(gpus=1), no_ref]
    got = {(f.path, f.message) for f in validate_objects([*crds, *bad], K8S) if f.severity == "error"}
    assert got == {
        ("spec.trainer.numNodes", "'two' is not of type 'integer'"),
        ("spec.trainer.numProcPerNode", "[1] is not valid under any of the given schemas"),
        ("spec.trainer", "Additional properties are not allowed ('gpus' was unexpected)"),
        ("spec", "'runtimeRef' is a required property"),
    }


def test_katib_with_kubeflow_istio_and_cert_manager_build_clean(manifests_2603: Path) -> None:
    objs = kustomize(manifests_2603 / "applications/katib/upstream/installs/katib-with-kubeflow")
    objs += kustomize(manifests_2603 / "common/istio/istio-crds/base")
    objs += kustomize(manifests_2603 / "common/cert-manager/base")
    findings = validate_objects(objs, K8S)
    assert [f for f in findings if f.severity == "error"] == []
    # Istio's AuthorizationPolicy carries CEL rules: they are named, not silently passed.
    assert any(f.rule == "schema/cel-not-checked" and f.object.startswith("security.istio.io/") for f in findings)


def test_istio_resources_without_their_crds_are_unknown(manifests_2603: Path) -> None:
    objs = kustomize(manifests_2603 / "applications/katib/upstream/installs/katib-with-kubeflow")
    unknown = {f.object.split("/")[1] for f in validate_objects(objs, K8S) if f.rule == "schema/unknown-kind"}
    assert unknown == {"AuthorizationPolicy", "VirtualService", "Certificate", "Issuer"}


def test_cert_manager_crds_and_a_broken_certificate(manifests_2603: Path) -> None:
    objs = kustomize(manifests_2603 / "common/cert-manager/base")
    assert [f for f in validate_objects(objs, K8S) if f.severity == "error"] == []
    cert = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "c", "namespace": "kubeflow"},
        "spec": {
            "secretName": "s",
            "issuerRef": {"name": "i", "kind": "ClusterIssuer"},
            "dnsNames": ["a.example"],
            "duration": 3600,
        },
    }
    ok = copy.deepcopy(cert)
    ok["spec"]["duration"] = "1h"
    got = [(f.path, f.message) for f in validate_objects([*objs, cert, ok], K8S) if f.severity == "error"]
    assert got == [("spec.duration", "3600 is not of type 'string'")]
