"""Where things live: the project tree, the user's cache, the mirror."""

from __future__ import annotations

import os
from pathlib import Path

# The project root holds manifests/ and profiles/; an installed package finds them via KUBEFORGE_HOME.
PROJECT_ROOT = Path(os.environ.get("KUBEFORGE_HOME", Path(__file__).resolve().parent.parent))
MANIFESTS_DIR = PROJECT_ROOT / "manifests"
PROFILES_DIR = PROJECT_ROOT / "profiles"


def cache_dir() -> Path:
    """The content-addressed cache: KUBEFORGE_CACHE, else $XDG_CACHE_HOME/kubeforge, else ~/.cache/kubeforge."""
    explicit = os.environ.get("KUBEFORGE_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "kubeforge"


def mirror_dir() -> Path | None:
    """A mirror folder laid out OWNER/REPO/TAG/, from KUBEFORGE_MIRROR, or None to use GitHub."""
    value = os.environ.get("KUBEFORGE_MIRROR")
    return Path(value) if value else None


def project_mirror() -> Path:
    """The mirror the tests and benchmarks read: KUBEFORGE_MIRROR, else the CI's, beside the checkout."""
    return mirror_dir() or PROJECT_ROOT.parent / "shared" / "upstream"


def state_dir() -> Path:
    """Generated secrets kept between renders: KUBEFORGE_STATE, else $XDG_STATE_HOME/kubeforge."""
    explicit = os.environ.get("KUBEFORGE_STATE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "kubeforge"
