"""Policy rules on rendered objects: one module, used by `kubeforge check` and the CrossGuard pack."""

from kubeforge.policy.rules import ALLOWED_PRIVILEGED, RULES, PolicyContext, Rule, evaluate

__all__ = ["ALLOWED_PRIVILEGED", "RULES", "PolicyContext", "Rule", "evaluate"]
