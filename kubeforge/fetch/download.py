"""Download a pinned commit's archive from GitHub's codeload (or a server laid out like it)."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from kubeforge.errors import BadInput, IntegrityError
from kubeforge.fetch.errors import FetchError
from kubeforge.fetch.verify import CHUNK, Progress

MAX_ARCHIVE_BYTES = 2 << 30  # far above any upstream tree we pin; stops a runaway response


def archive_url(github_url: str, repo: str, commit: str) -> str:
    """codeload's address of a commit's tar.gz: {github_url}/{owner}/{repo}/tar.gz/{commit}."""
    scheme = urllib.parse.urlsplit(github_url).scheme
    if scheme not in ("http", "https"):
        raise BadInput(f"{github_url!r} is not an http(s) URL", field="github_url")
    return f"{github_url.rstrip('/')}/{repo}/tar.gz/{commit}"


def download(url: str, dest: Path, *, timeout: float, label: str = "", progress: Progress | None = None) -> int:
    """Stream `url` into `dest`; refuse a short body (Content-Length not met). Return the bytes received."""
    request = urllib.request.Request(url, headers={"User-Agent": "kubeforge"})
    size = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, dest.open("wb") as out:
            expected = _content_length(response.headers.get("Content-Length"))
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > MAX_ARCHIVE_BYTES:
                    raise IntegrityError(f"download of {url} exceeds {MAX_ARCHIVE_BYTES} bytes: refused")
                out.write(chunk)
                if progress:
                    progress(f"{label}: downloading", size, expected or 0)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except http.client.IncompleteRead as exc:
        raise IntegrityError(f"download of {url} is truncated: {exc}") from exc
    except urllib.error.URLError as exc:
        raise FetchError(f"download of {url} failed: {exc.reason}") from exc
    except (http.client.HTTPException, OSError) as exc:
        raise FetchError(f"download of {url} failed: {exc or type(exc).__name__}") from exc
    if expected is not None and size != expected:
        raise IntegrityError(f"download of {url} is truncated: got {size} of {expected} bytes")
    return size


def _content_length(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value)
