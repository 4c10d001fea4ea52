"""Secrets that upstream ships as literals (the same on every install) become generated per install."""

from kubeforge.secrets.generate import GENERATED, GENERATED_SECRET, generate_secrets, parse_annotation, team_artifact_keys

__all__ = ["GENERATED", "GENERATED_SECRET", "generate_secrets", "parse_annotation", "team_artifact_keys"]
