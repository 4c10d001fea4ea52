"""`kubeforge review`: what the security team approves, from one render: per team who can do what
(RBAC and mesh policies resolved to verbs and paths), what each team reaches and is reached from (by
port), PERMISSIVE exceptions, open policies and privileged workloads with their reasons, and images.
`grants` flattens a report into lines; a line missing from the approved report is a new grant."""

from kubeforge.review.markdown import to_markdown
from kubeforge.review.report import build_review, grants, new_grants

__all__ = ["build_review", "grants", "new_grants", "to_markdown"]
