"""Render: spec + lock -> the platform's objects, transformed and ordered in install waves."""

from kubeforge.render.pipeline import Render, render_platform

__all__ = ["Render", "render_platform"]
