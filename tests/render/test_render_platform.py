"""The full kind and production renders from the pinned upstream: properties that must hold for every object."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest

from kubeforge.errors import BadInput, RenderFailed
from kubeforge.k8s import api_group, ident, name_of, namespace_of
from kubeforge.netpol.labels import LabelSelector
from kubeforge.render import Render, render_platform
from kubeforge.render import kustomize as kustomize_mod
from kubeforge.render.output import MARKER, write_render
from kubeforge.render.transforms.images import images_of
from kubeforge.render.waves import WEBHOOK_KINDS, _admits, _backends, _Index
from kubeforge.spec import PlatformSpec, load_spec


def test_every_custom_resource_is_in_a_later_wave_than_its_crd(full_render: Render) -> None:
    crds = {}
    for i, obj in enumerate(full_render.objects):
        if obj["kind"] == "CustomResourceDefinition":
            crds[(obj["spec"]["group"], obj["spec"]["names"]["kind"])] = full_render.waves.wave_of[i]
    checked = 0
    for i, obj in enumerate(full_render.objects):
        key = (api_group(obj), obj["kind"])
        if key in crds:
            assert full_render.waves.wave_of[i] > crds[key], ident(obj)
            checked += 1
    assert checked > 20


def test_every_namespaced_object_is_later_than_its_namespace(full_render: Render) -> None:
    namespaces = {
        o["metadata"]["name"]: full_render.waves.wave_of[i]
        for i, o in enumerate(full_render.objects)
        if o["kind"] == "Namespace"
    }
    for i, obj in enumerate(full_render.objects):
        ns = namespace_of(obj)
        if ns in namespaces:
            assert full_render.waves.wave_of[i] > namespaces[ns], ident(obj)


def test_custom_resources_are_scoped_as_their_crd_says(full_render: Render) -> None:
    scope = {
        (o["spec"]["group"], o["spec"]["names"]["kind"]): o["spec"]["scope"]
        for o in full_render.objects
        if o.get("kind") == "CustomResourceDefinition"
    }
    wrong = [
        ident(o)
        for o in full_render.objects
        if (s := scope.get((api_group(o), str(o.get("kind"))))) and (namespace_of(o) is None) != (s == "Cluster")
    ]
    assert not wrong, wrong[:10]


def test_every_object_a_webhook_admits_is_later_than_the_webhooks_workloads(full_render: Render) -> None:
    objects = full_render.objects
    index = _Index(objects)
    wave = full_render.waves.wave_of
    pairs = 0
    for h, hook in enumerate(objects):
        if hook["kind"] not in WEBHOOK_KINDS:
            continue
        backends = _backends(index, hook)
        assert backends, f"{ident(hook)} has no workload behind it"
        for webhook in hook.get("webhooks") or []:
            selectors = (
                LabelSelector.parse(webhook.get("namespaceSelector")),
                LabelSelector.parse(webhook.get("objectSelector")),
            )
            for i, obj in enumerate(objects):
                if (
                    i in backends
                    or obj["kind"] == "CustomResourceDefinition"
                    or not _admits(index, webhook, obj, selectors)
                ):
                    continue
                pairs += 1
                assert all(wave[i] > wave[b] for b in backends), f"{ident(obj)} is admitted by {ident(hook)}"
                assert wave[i] > wave[h]
    assert pairs > 10, "the istio injector alone admits most platform workloads"


def test_pipelines_profile_controller_is_not_rendered(kind_render: Render) -> None:
    names = {o["metadata"]["name"] for o in kind_render.objects}
    assert not any("pipelines-profile-controller" in n for n in names)
    assert "ml-pipeline" in names


def test_disabled_components_are_absent_and_core_ones_present(kind_render: Render) -> None:
    assert "trainer" not in kind_render.components and "spark" not in kind_render.components
    for core in ("cert-manager", "istio", "dex", "oauth2-proxy", "central-dashboard", "profiles"):
        assert core in kind_render.components
    kinds_in_trainer_ns = {o["kind"] for o in kind_render.objects if namespace_of(o) == "kubeflow-system"}
    assert "Deployment" not in kinds_in_trainer_ns


def test_trainer_pins_jobset_and_lws_release_images(production_render: Render) -> None:
    images = images_of(production_render.by_component()["trainer"])
    assert "registry.k8s.io/jobset/jobset:v0.10.1" in images
    assert "registry.k8s.io/lws/lws:v0.7.0" in images
    assert not any(i.endswith(":main") or i.endswith(":latest") for i in images)


def test_sizing_every_container_has_requests_and_limits(full_render: Render) -> None:
    from kubeforge.k8s import pod_spec

    for obj in full_render.objects:
        spec = pod_spec(obj)
        for c in (spec or {}).get("containers", []) + (spec or {}).get("initContainers", []):
            res = c.get("resources") or {}
            assert {"cpu", "memory"} <= set(res.get("requests", {})), ident(obj)
            assert {"cpu", "memory"} <= set(res.get("limits", {})), ident(obj)


def test_every_object_carries_our_labels(full_render: Render) -> None:
    for obj, comp in zip(full_render.objects, full_render.component_of, strict=True):
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "kubeforge"
        assert labels["kubeforge.io/component"] == comp


def test_production_scales_stateless_deployments_but_not_databases(production_render: Render) -> None:
    deployments = {o["metadata"]["name"]: o for o in production_render.objects if o["kind"] == "Deployment"}
    assert deployments["ml-pipeline-ui"]["spec"]["replicas"] == 2
    assert deployments["mysql"]["spec"].get("replicas", 1) == 1


def test_registry_mirror_rewrites_every_image(source_cache: Path, state_dir: Path, tmp_path: Path) -> None:
    override = tmp_path / "mirror.yaml"
    override.write_text("images:\n  registry: registry.internal:5000\n")
    spec = load_spec("kind", [override])
    images = images_of(render_platform(spec, cache=source_cache).objects)
    assert images and all(i.startswith("registry.internal:5000/") for i in images)


def _slow_builds(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Make parallel builds finish in a different order on each render."""
    real = kustomize_mod._build
    rng = random.Random(seed)
    delays = {}

    def build(b: kustomize_mod.Build, ws: Path, k: object) -> object:
        delays.setdefault(b.path, rng.random() * 0.2)
        time.sleep(delays[b.path])
        return real(b, ws, k)  # type: ignore[arg-type]

    monkeypatch.setattr(kustomize_mod, "_build", build)


SMALL = "components:\n" + "".join(
    f"  {c}: {{enabled: false}}\n" for c in ("knative", "kserve", "model-registry", "notebooks")
)


def small_spec(tmp_path: Path) -> PlatformSpec:
    """kind without the components whose CRDs are megabytes: cold renders stay quick in tests."""
    override = tmp_path / "small.yaml"
    override.write_text(SMALL)
    return load_spec("kind", [override])


def test_render_is_byte_identical_whatever_order_builds_finish(
    tmp_path: Path, source_cache: Path, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = small_spec(tmp_path)
    outputs = []
    for seed in (1, 2):
        cache = tmp_path / f"cache{seed}"
        cache.mkdir()
        (cache / "sources").symlink_to(source_cache / "sources")
        monkeypatch.setenv("KUBEFORGE_CACHE", str(cache))
        _slow_builds(monkeypatch, seed)
        out = tmp_path / f"out{seed}"
        write_render(render_platform(spec, cache=cache), out)
        outputs.append(out)
    files = sorted(p.name for p in outputs[0].iterdir())
    assert files == sorted(p.name for p in outputs[1].iterdir())
    assert files[:2] == [MARKER, "00-cert-manager.yaml"] and "plan.json" in files and "summary.json" in files
    for name in files:
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name


def test_summary_and_plan(tmp_path: Path, kind_render: Render, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEFORGE_CACHE", str(tmp_path / "yaml-cache"))
    summary = write_render(kind_render, tmp_path / "out")
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert summary["objects"] == len(kind_render.objects)
    assert summary["components"]["pipelines"]["version"] == "2.16.0"
    assert summary["requests"]["sidecars"] > 0 and summary["requests"]["memory_gib"] > 0
    assert plan["waves"][0]["name"] == "crds" and plan["waves"][0]["wait_for"] == ["crd-established"]
    assert sum(len(ids) for w in plan["waves"] for ids in w["groups"].values()) == len(kind_render.objects)
    assert any("certificate-issued" in w["wait_for"] for w in plan["waves"])
    assert any("webhook-endpoints-ready" in w["wait_for"] for w in plan["waves"])


def test_never_fetched_cache_says_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"run `kubeforge fetch --release 26\.03`"):
        render_platform(load_spec("kind"), cache=tmp_path)


def test_kustomize_failure_names_component_and_path(
    cold_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubeforge.render import workspace

    real = workspace.materialize

    def drop_one(lock, roots, dest, files):  # type: ignore[no-untyped-def]
        real(lock, roots, dest, files)
        (dest / "manifests/applications/katib/upstream/installs/katib-with-kubeflow/kustomization.yaml").unlink()

    monkeypatch.setattr("kubeforge.render.steps.materialize", drop_one)
    with pytest.raises(
        RenderFailed,
        match=r"component katib: kustomize build manifests:applications/katib/upstream/installs/katib-with-kubeflow failed",
    ):
        render_platform(small_spec(tmp_path), cache=cold_cache)


def test_a_failed_render_leaves_the_previous_output(
    tmp_path: Path, kind_render: Render, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEFORGE_CACHE", str(tmp_path / "c"))
    out = tmp_path / "out"
    write_render(kind_render, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(render: Render) -> dict[str, object]:
        raise RuntimeError("disk full")

    monkeypatch.setattr("kubeforge.render.output.summary_json", boom)
    with pytest.raises(RuntimeError):
        write_render(kind_render, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_unwritable_out_fails_before_any_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubeforge.render.output import check_writable

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BadInput, match="cannot write"):
        check_writable(blocker)


def test_no_aggregated_cluster_role_sets_rules(full_render: Render) -> None:
    # Server-side apply of `rules` conflicts with clusterrole-aggregation-controller (seen on the e2e harness).
    aggregated = [o for o in full_render.objects if o.get("kind") == "ClusterRole" and o.get("aggregationRule")]
    assert aggregated, "upstream renders aggregated ClusterRoles (kubeflow-admin/edit/view)"
    assert [name_of(o) for o in aggregated if "rules" in o] == []


def test_no_role_renders_empty_rules(full_render: Render) -> None:
    # Stored as absent: pulumi-kubernetes diffed `rules: []` on every `up` (seen with the real provider).
    roles = [o for o in full_render.objects if o.get("kind") in ("Role", "ClusterRole")]
    assert [ident(o) for o in roles if o.get("rules") == []] == []


def test_injected_ca_bundles_are_left_to_cainjector(full_render: Render) -> None:
    # Applied, a caBundle would be kubeforge's field: later applies reset what cainjector wrote.
    injected = [o for o in full_render.objects if "cert-manager.io/inject-ca-from" in str(o["metadata"])]
    assert any(o.get("kind") == "MutatingWebhookConfiguration" for o in injected)
    assert [ident(o) for o in injected if "caBundle" in json.dumps(o.get("webhooks")) + json.dumps(o.get("spec"))] == []
