"""The Pulumi program that applies exactly what `kubeforge render` produces, in its install waves.

plan.py and secrets.py are pure (no Pulumi import): they decide groups, order, retention and generated
secrets from a Render. program.py turns that plan into Pulumi resources.
"""
