# kafka-eventbridge-lambda — developer commands. `make help` lists them.

SHELL := /bin/bash
VENV ?= .venv
PY ?= python3
CARGO ?= cargo
EVENT ?= events/msk.json
OFFLOAD ?=

.PHONY: help venv demo test check fmt clippy bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## Create the Python venv with moto and cargo-lambda

demo: venv ## Run the function locally end to end (moto + cargo lambda watch); EVENT=…, OFFLOAD=1
	VENV=$(VENV) EVENT=$(EVENT) OFFLOAD=$(OFFLOAD) scripts/demo.sh

test: venv ## Run every test: unit, property, and end to end against moto and the real binary
	$(CARGO) fmt --check
	KEL_VENV_BIN=$(abspath $(VENV))/bin $(CARGO) test --all-targets

check: fmt clippy ## Format check and clippy with warnings as errors

fmt:
	$(CARGO) fmt --check

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

bench: ## Run the benchmarks (criterion): decode + map throughput
	$(CARGO) bench --bench decode_map

clean: ## Remove build output and the venv
	$(CARGO) clean
	rm -rf $(VENV) .demo
