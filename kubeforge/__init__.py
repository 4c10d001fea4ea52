"""kubeforge: spec -> lock -> render -> check -> install waves, for a Kubeflow-class platform."""

__version__ = "0.1.0"
