"""`kubeforge fetch`: verified fetch of a release's upstream sources into a content-addressed cache.

The cache holds one folder per source, `<cache>/sources/<tree sha256>/`, with only the files the lock
lists for that source and a marker `.kubeforge-source.json` written last. A folder appears there by one
rename of a fully verified staging folder: nothing partial is ever left in the cache.
"""

from __future__ import annotations

from kubeforge.fetch.errors import FetchError
from kubeforge.fetch.fetch import fetch_release
from kubeforge.fetch.layout import MARKER, source_dir
from kubeforge.fetch.report import FetchReport, SourceFetch
from kubeforge.fetch.roots import source_roots

__all__ = [
    "MARKER",
    "FetchError",
    "FetchReport",
    "SourceFetch",
    "fetch_release",
    "source_dir",
    "source_roots",
]
