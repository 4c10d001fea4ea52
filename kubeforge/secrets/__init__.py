"""Secrets that upstream ships as literals (the same on every install) become generated per install."""

from kubeforge.secrets.generate import GENERATED, generate_secrets, parse_annotation

__all__ = ["GENERATED", "generate_secrets", "parse_annotation"]
