"""What `fetch_release` did, per source: JSON-serialisable for `--output json`, flat for a table."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

Origin = Literal["cache", "mirror", "github"]


class SourceFetch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    repo: str
    tag: str
    commit: str
    tree: str
    files: int
    bytes: int
    origin: Origin
    seconds: float
    path: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> str:
        return "verified (cached)" if self.origin == "cache" else f"fetched from {self.origin}, verified"


class FetchReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    release: str
    cache: str
    sources: list[SourceFetch]

    def to_json(self) -> str:
        return self.model_dump_json(indent=1) + "\n"

    def rows(self) -> list[dict[str, object]]:
        """One flat dict per source, in lock order: the CLI's table."""
        return [s.model_dump(mode="json") for s in self.sources]
