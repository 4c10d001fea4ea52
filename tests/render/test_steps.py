"""The render's step list: a step for one component names a component every release has."""

from __future__ import annotations

import pytest

from kubeforge.paths import MANIFESTS_DIR
from kubeforge.release.store import load_lock
from kubeforge.render.pipeline import STEPS
from kubeforge.render.steps import ComponentStep

RELEASES = sorted(p.name for p in MANIFESTS_DIR.iterdir() if (p / "lock.json").is_file())


@pytest.mark.parametrize("release", RELEASES)
def test_component_specific_steps_name_components_of_the_release(release: str) -> None:
    # A renamed component would otherwise skip its step silently and change the render.
    components = set(load_lock(release).components)
    named = {
        s.component
        for s in STEPS
        if isinstance(s, ComponentStep) and s.component is not None and s.of != "kubeforge"  # ours: no lock entry
    }
    new = {"monitoring", "nvidia-device-plugin", "dcgm-exporter"}  # in 26.03 only
    assert named == {"istio", "kserve", "kubeflow-base", *new}
    assert named - components <= (new if release == "v1.11.0" else set())
    ours = {s.component for s in STEPS if isinstance(s, ComponentStep) and s.of == "kubeforge" and s.component}
    assert ours <= {"teams", "security", "gpu"}  # kubeforge's own components (render/extensions.py)


def test_every_step_has_a_distinct_name_within_its_scope() -> None:
    keys = [(s.name, getattr(s, "of", "every")) for s in STEPS]
    assert len(keys) == len(set(keys))
