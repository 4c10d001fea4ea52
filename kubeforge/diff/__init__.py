"""`kubeforge diff`: what upgrading from one render to another does, per component, and what is dangerous."""

from kubeforge.diff.engine import diff_sides
from kubeforge.diff.model import Danger, Report, Side
from kubeforge.diff.sides import side_from_folder, side_from_render

__all__ = ["Danger", "Report", "Side", "diff_sides", "side_from_folder", "side_from_render"]
