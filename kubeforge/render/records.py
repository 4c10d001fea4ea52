"""What the render steps pass along: one record per object (its component, later its wave), and the result."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubeforge.k8s import KObj, ident
from kubeforge.release.model import Lock
from kubeforge.render.waves import WavePlan
from kubeforge.spec.model import PlatformSpec
from kubeforge.tools import Kustomize


@dataclass
class Record:
    """One object of the render and the component it belongs to; `wave` is set by the wave step."""

    obj: KObj
    component: str
    wave: int = -1

    @property
    def ident(self) -> str:
        return ident(self.obj)


@dataclass
class Render:
    """The finished render: records in install order (component, wave, kind), one per identity."""

    spec: PlatformSpec
    lock: Lock
    kustomize: Kustomize
    components: list[str]
    records: list[Record]
    waves: WavePlan
    notes: list[str] = field(default_factory=list)

    @property
    def objects(self) -> list[KObj]:
        return [r.obj for r in self.records]

    @property
    def component_of(self) -> list[str]:
        return [r.component for r in self.records]

    def upstream_objects(self) -> list[KObj]:
        """Objects of the release's components, without kubeforge's own (security, teams, gpu)."""
        return [r.obj for r in self.records if r.component in self.lock.components]

    def by_component(self) -> dict[str, list[KObj]]:
        out: dict[str, list[KObj]] = {c: [] for c in self.components}
        for r in self.records:
            out[r.component].append(r.obj)
        return out

    def version_of(self, component: str) -> str:
        comp = self.lock.components.get(component)
        return comp.version if comp else "kubeforge"
