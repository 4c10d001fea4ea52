"""The real rendered platform for integration tests (render engine over the upstream mirror)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest

from kubeforge.k8s import KObj
from kubeforge.paths import PROJECT_ROOT
from kubeforge.spec.load import load_spec
from kubeforge.spec.model import PlatformSpec

MIRROR = Path(os.environ.get("KUBEFORGE_MIRROR", PROJECT_ROOT.parent / "shared" / "upstream"))
OURS = ("security", "teams", "gpu")


def need_mirror() -> None:
    if not (MIRROR / "kubeflow" / "manifests" / "26.03").is_dir():
        pytest.skip(f"upstream mirror not at {MIRROR}")


@lru_cache(maxsize=4)
def _render(profile: str, cache: str) -> tuple[PlatformSpec, tuple[tuple[str, KObj], ...]]:
    from kubeforge.fetch import fetch_release
    from kubeforge.render import render_platform

    spec = load_spec(profile)
    fetch_release(render_lock(spec), cache=Path(cache), mirror=MIRROR)
    os.environ["KUBEFORGE_CACHE"] = cache
    from kubeforge.identity import FileSecretStore

    r = render_platform(spec, cache=Path(cache), secrets=FileSecretStore(Path(cache) / "secrets"))
    return spec, tuple(zip(r.component_of, r.objects, strict=True))


def render_lock(spec: PlatformSpec):  # type: ignore[no-untyped-def]
    from kubeforge.release.store import load_lock

    return load_lock(spec.release)


def rendered(profile: str, cache: Path) -> tuple[PlatformSpec, list[str], list[KObj]]:
    """(spec, component of each object, objects) of the whole render, ours included."""
    need_mirror()
    spec, pairs = _render(profile, str(cache))
    return spec, [c for c, _ in pairs], [o for _, o in pairs]


def upstream_only(components: list[str], objects: list[KObj]) -> list[KObj]:
    return [o for c, o in zip(components, objects, strict=True) if c not in OURS]
