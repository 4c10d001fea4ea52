"""The one interface every layer uses to reach per-install secret values (files on kind, pulumi-random in the stack)."""

from __future__ import annotations

from typing import Protocol


class SecretStore(Protocol):
    def kind_password_hash(self, email: str) -> str:
        """The bcrypt hash of `email`'s password; the same on every render."""
        ...

    def generated(self, value_id: str) -> str:
        """A random value generated once per install for `value_id`; the same on every render."""
        ...
