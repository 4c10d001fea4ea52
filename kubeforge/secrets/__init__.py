"""Secrets that upstream ships as literals (the same on every install) become generated per install."""

from kubeforge.secrets.generate import GENERATED, generate_secrets
from kubeforge.secrets.store import SecretStore

__all__ = ["GENERATED", "SecretStore", "generate_secrets"]
