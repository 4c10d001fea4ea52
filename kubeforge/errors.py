"""Errors the CLI turns into one line and an exit code."""

from __future__ import annotations

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


class KubeforgeError(Exception):
    """Base class: carries the exit code the CLI uses."""

    exit_code = EXIT_BAD_INPUT


class BadInput(KubeforgeError):
    """The user's input is wrong: one line naming the file, the field and what was expected."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        where = ": ".join(part for part in (file, field) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.field = field


class IntegrityError(KubeforgeError):
    """Upstream content does not match the lock: refused."""


class CheckFailed(KubeforgeError):
    """A check found an error-severity problem."""

    exit_code = EXIT_CHECK_FAILED


class RenderFailed(KubeforgeError):
    """A build of pinned content failed (kustomize error, a file the lock does not pin)."""

    exit_code = EXIT_CHECK_FAILED
