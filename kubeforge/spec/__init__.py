"""The platform spec: one pydantic model, loaded from a profile plus overrides."""

from kubeforge.spec.load import load_spec
from kubeforge.spec.model import PlatformSpec

__all__ = ["PlatformSpec", "load_spec"]
