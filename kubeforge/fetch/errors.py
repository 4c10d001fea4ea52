"""The one error of fetching that is neither bad input nor bad content: the download itself failed."""

from __future__ import annotations

from kubeforge.errors import KubeforgeError


class FetchError(KubeforgeError):
    """The archive could not be downloaded (HTTP status, unreachable host, timeout): exit code 2."""
