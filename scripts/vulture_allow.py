# Names vulture cannot see used (read by `make lint`'s vulture run; never imported): each is called
# by a framework or read as data, not by our code.
# ruff: noqa
_ = object()

# pydantic: model configuration and validators (called by model_validate)
model_config
_._names_are_dns  # kubeforge/release/model.py
_._issuer_named  # kubeforge/spec/model.py
_._consistent  # kubeforge/spec/model.py
_._one_url  # kubeforge/spec/model.py (webhook receiver)
_._unique  # kubeforge/spec/model.py (monitoring receivers)
# Fields of the data formats: release definitions, locks and the spec (read from YAML/JSON, written to JSON)
newName
newTag
why
description
lock_version
driver_branch  # the spec's GPU driver branch: the Ansible nvidia_driver role's input
# typer: the root callback
_root  # kubeforge/cli/main.py
# Pulumi's mocks interface (stacks/mocked.py)
property_dependencies
_.new_resource
_.call
# http.server.BaseHTTPRequestHandler hooks (tests/fetch/conftest.py)
_.do_GET
_.log_message
format
_.daemon_threads
# pytest fixture requested by name (tests/stacks/conftest.py)
engine_env
# cluster components loaded by name per cloud (stacks/clusters/__init__.py imports them lazily)
EksCluster
GkeCluster
AksCluster
# manifests/<release>/upgrade.yaml step field, read by roles/platform_upgrade through the diff JSON
phase
# managed data components loaded by name per cloud (stacks/data/__init__.py imports them lazily)
EksData
GkeData
AksData
# e2e/harness/pulumi.py Stack field read through self in its env (set by proof 6)
_.checkpoints
# stacks/plan.py ProviderSettings keys, passed to k8s.Provider as keyword arguments
enable_server_side_apply
enable_secret_mutable
enable_config_map_mutable
