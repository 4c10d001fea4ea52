# kubeforge: every everyday command. `make setup`, then `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?= kind
# The project's CI mirror sits beside the checkout; elsewhere fetch downloads the pinned commits.
ifneq ($(wildcard ../shared/upstream),)
export KUBEFORGE_MIRROR ?= $(abspath ../shared/upstream)
endif

.PHONY: setup test lint typecheck unit test-roles render check bench lock up down clean

setup:  ## Create .venv (and .venv-checkov) with pinned dependencies
	scripts/setup

test: lint typecheck unit  ## The README's test command: lint, types, the whole pytest suite

lint:
	$(BIN)/ruff check kubeforge stacks policy tests benchmarks
	$(BIN)/ruff format --check kubeforge stacks policy tests benchmarks
	$(BIN)/lint-imports --no-cache  # the layer contract in pyproject.toml: no cycles, no upward imports
	$(BIN)/vulture  # dead code (paths and allow-list in pyproject.toml)

typecheck:
	$(BIN)/mypy

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
unit:
	$(BIN)/pytest -n 2 -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test-roles:  ## Ansible roles on real podman hosts (molecule + testinfra) and ansible-lint
	scripts/test-roles

lock:  ## Regenerate manifests/*/lock.json from the mirror
	$(BIN)/kubeforge lock

render:  ## Render PROFILE into build/PROFILE
	$(BIN)/kubeforge fetch
	$(BIN)/kubeforge render --profile $(PROFILE) --out build/$(PROFILE)

check:  ## Check PROFILE's render
	$(BIN)/kubeforge check --profile $(PROFILE)

bench:  ## Print every benchmark figure the README quotes
	for b in benchmarks/[a-z]*.py; do $(BIN)/python $$b || exit 1; done

up:  ## Laptop: kind cluster + pulumi up
	scripts/kind-up

down:
	scripts/kind-down

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
