"""Reading a mocked Pulumi run (stacks.mocked): one registration of a type, its plain inputs, and which
resources each one depends on, directly or not."""

from __future__ import annotations

from typing import Any

from stacks.mocked import ClusterRun, MockedRun, Registration, unwrap


def one(run: ClusterRun | MockedRun, type_: str) -> Registration:
    regs = run.of_type(type_)
    assert len(regs) == 1, f"{type_}: {len(regs)} registered"
    return regs[0]


def inputs(reg: Registration) -> Any:
    return unwrap(reg.inputs)


def closure(regs: list[Registration]) -> dict[str, set[str]]:
    deps = {r.urn: set(r.dependencies) for r in regs}
    out: dict[str, set[str]] = {}

    def reach(urn: str) -> set[str]:
        if urn not in out:
            out[urn] = set()
            for d in deps.get(urn, ()):
                out[urn] |= {d, *reach(d)}
        return out[urn]

    for urn in deps:
        reach(urn)
    return out
