"""Validation engine of `kubeforge check`: schema, CRD and checkov findings in one shape."""
