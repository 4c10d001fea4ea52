"""Secrets that upstream ships as literals (the same on every install) become generated per install."""

from kubeforge.secrets.generate import GENERATED, generate_secrets, parse_annotation, team_artifact_keys, value_ids
from kubeforge.secrets.store import SecretStore

__all__ = ["GENERATED", "SecretStore", "generate_secrets", "parse_annotation", "team_artifact_keys", "value_ids"]
