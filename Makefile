# kafka-eventbridge-lambda — developer commands. `make help` lists them.

SHELL := /bin/bash
VENV ?= .venv
VENV_SCAN ?= .venv-scan
PY ?= python3
CARGO ?= cargo
REGISTRY ?=
ifneq ($(REGISTRY),)
EVENT ?= events/msk-avro-source.json
else
EVENT ?= events/msk.json
endif
OFFLOAD ?=

ARCH ?= arm64
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= avro protobuf framing decode_map migrate filter
FUZZ_RSS_MB ?= 512
SOAK_SCHEDULES ?= 20000

SEED ?= 0

.PHONY: help venv venv-build venv-scan demo render preflight migrate docs test check fmt clippy modules deny deny-tool lint build bench soak fuzz fuzz-keep fixtures partitions clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## Create the Python venv with moto and cargo-lambda

$(VENV)/.build-installed: $(VENV)/.installed requirements-build.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-build.txt
	touch $@

venv-build: $(VENV)/.build-installed ## Add zig (cross builds) and the SAM CLI + cfn-lint to the venv

$(VENV_SCAN)/.installed: requirements-scan.txt
	$(PY) -m venv $(VENV_SCAN)
	$(VENV_SCAN)/bin/pip install --quiet --disable-pip-version-check -r requirements-scan.txt
	touch $@

venv-scan: $(VENV_SCAN)/.installed ## A venv of its own for checkov (its boto3 pins clash with the SAM CLI's)

demo: venv ## Run the function locally end to end (moto + cargo lambda watch); EVENT=…, OFFLOAD=1, REGISTRY=1; BIN=<built binary> skips the build
	VENV=$(VENV) EVENT=$(EVENT) OFFLOAD=$(OFFLOAD) REGISTRY=$(REGISTRY) BIN=$(BIN) scripts/demo.sh

# The demo's configuration unless the environment gives another; no credentials are needed.
# BIN=path runs an already built binary instead of `cargo run` (CI uses the one `make test`
# built: `cargo run` resolves features without the dev-dependencies and would build the
# dependency tree a second time).
BIN ?=
render: ## Dry run: what the function would do with EVENT (no credentials, no AWS call); SEED=…
	AWS_EVENTBRIDGE_CONNECTOR_ID=$${AWS_EVENTBRIDGE_CONNECTOR_ID:-demo} \
	AWS_EVENTBRIDGE_EVENTBUS_ARN=$${AWS_EVENTBRIDGE_EVENTBUS_ARN:-arn:aws:events:us-east-1:123456789012:event-bus/kafka-demo} \
		$(if $(BIN),$(BIN),$(CARGO) run --quiet --) render --event $(EVENT) --seed $(SEED)

# `make migrate CONFIG=connector.json`: the function's configuration for a connector's (see the
# README, *Moving from the connector*); MSK=<cluster ARN> or BROKERS=<host:port,…> adds the cluster.
CONFIG ?=
MSK ?=
BROKERS ?=
preflight: ## Check, read-only, with the function's AWS_EVENTBRIDGE_* environment and credentials, that the bus, endpoint, bucket and registries are right [WRITE=1] [OUTPUT=text|json]
	$(if $(BIN),$(BIN),$(CARGO) run --quiet --) preflight --output $(or $(OUTPUT),text) $(if $(WRITE),--write)

migrate: ## Translate a connector configuration: CONFIG=connector.json [MSK=<cluster ARN> | BROKERS=<host:port,…>] [OUTPUT=text|env|sam|json]
	@test -n "$(CONFIG)" || { echo "usage: make migrate CONFIG=connector.json [MSK=arn] [BROKERS=host:port,...] [OUTPUT=text|env|sam|json]"; exit 2; }
	$(if $(BIN),$(BIN),$(CARGO) run --quiet --) migrate --config $(CONFIG) --output $(or $(OUTPUT),text) \
		$(if $(MSK),--msk-cluster-arn $(MSK)) $(if $(BROKERS),--bootstrap-servers $(BROKERS))

docs: ## Regenerate docs/configuration.md from the configuration reference in the code (src/config/reference/)
	$(if $(BIN),$(BIN),$(CARGO) run --quiet --) config --markdown > docs/configuration.md

# The CDK example of docs/deploy.md, synthesized offline by tests/e2e/template.rs.
CDK_EXAMPLE := docs/examples/cdk
$(CDK_EXAMPLE)/node_modules/.package-lock.json: $(CDK_EXAMPLE)/package-lock.json
	cd $(CDK_EXAMPLE) && npm ci --no-audit --no-fund --loglevel=error

test: venv venv-build $(CDK_EXAMPLE)/node_modules/.package-lock.json ## Run every test: unit, property, end to end against moto and the real binary, and the template's contract (SAM CLI)
	$(CARGO) fmt --check
	# tests/e2e/example.rs runs the example's binary, which only `cargo build` puts in place.
	$(CARGO) build --examples
	KEL_VENV_BIN=$(abspath $(VENV))/bin $(CARGO) test --all-targets --features e2e,internals
	$(CARGO) test --doc

check: fmt clippy modules deny ## Format check, clippy with warnings as errors, module layering, the supply chain, and the examples built
	$(CARGO) build --examples

# cargo-deny from crates.io, once: a debug build (it only reads metadata), faster to compile.
DENY_VERSION ?= 0.20.2
deny-tool:
	command -v cargo-deny >/dev/null || $(CARGO) install cargo-deny --locked --quiet --debug --version $(DENY_VERSION)

deny: deny-tool ## Licenses, bans and sources of every dependency (deny.toml); advisories need the RustSec database from GitHub, which these machines cannot fetch
	$(CARGO) deny check --hide-inclusion-graph licenses bans sources

modules: ## The module layering of src/: no circle, no stage importing config, no file over its budget
	$(PY) scripts/check_modules.py --self-test
	$(PY) scripts/check_modules.py

fmt: ## rustfmt, checked
	$(CARGO) fmt --check

clippy: ## Clippy with warnings as errors, with and without the test features
	$(CARGO) clippy --all-targets --features e2e,internals -- -D warnings
	# The function as it is deployed: without the internals the benchmarks and fuzz targets use.
	$(CARGO) clippy --lib --bins -- -D warnings

lint: venv-build venv-scan ## Check template.yaml offline: sam validate --lint, SAM transform + cfn-lint, checkov
	cd . && AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam validate --lint --region us-east-1
	AWS_DEFAULT_REGION=us-east-1 $(VENV)/bin/python scripts/lint_template.py template.yaml
	# --skip-download: no guidance from Prisma Cloud (offline); failed checks fail the target.
	$(VENV_SCAN)/bin/checkov --file template.yaml --framework cloudformation --compact --quiet --skip-download

build: venv-build ## Build the Lambda zip with cargo-lambda and zig: ARCH=arm64 (default) or x86_64
	rustup target list --installed | grep -q '^$(if $(filter arm64,$(ARCH)),aarch64,x86_64)-unknown-linux-gnu' \
		|| rustup target add $(if $(filter arm64,$(ARCH)),aarch64,x86_64)-unknown-linux-gnu
	PATH=$(abspath $(VENV))/bin:$$PATH cargo lambda build --release --$(if $(filter arm64,$(ARCH)),arm64,x86-64) --output-format zip
	mkdir -p dist
	cp target/lambda/kafka-eventbridge-lambda/bootstrap.zip dist/kafka-eventbridge-lambda-$(ARCH).zip
	ls -l dist/kafka-eventbridge-lambda-$(ARCH).zip

bench: venv ## Run the benchmarks: decode + map (criterion), send phase, hostile records, quota, cold start, peak RSS, CPU per invocation (and Python + boto3's), sizing at 128 to 1,024 MB
	$(CARGO) bench --features internals --bench decode_map -- --noplot 2>&1 | grep -E '^decode_map/|thrpt:'
	$(CARGO) bench --bench send
	$(CARGO) bench --features internals --bench hostile
	KEL_VENV_BIN=$(abspath $(VENV))/bin $(CARGO) bench --bench cpu

soak: venv ## Many more fault schedules than make test, from a fresh seed (SOAK_SCHEDULES=N)
	FAULT_SCHEDULES=$(SOAK_SCHEDULES) FAULT_SEED_BASE=$$(date +%s) $(CARGO) test --test it fault_schedules -- --nocapture

fuzz: ## Fuzz each decoder (FUZZ_TARGETS) with cargo-fuzz for FUZZ_SECONDS each (default 600), memory capped
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
	# -rss_limit_mb (and the malloc limit it implies) turns an allocation bomb into a reported
	# crash; -timeout turns a hang into one. New inputs go to fuzz/corpus/<target>; the kept
	# ones (fuzz/regressions/<target>, replayed by `cargo test`) seed each run.
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$target fuzz/regressions/$$target && \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $$target corpus/$$target regressions/$$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=$(FUZZ_RSS_MB) -timeout=10 -print_final_stats=1) || exit 1; \
	done

fuzz-keep: ## Merge the fuzz corpora into the kept regression inputs (minimised)
	for target in $(FUZZ_TARGETS); do \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $$target regressions/$$target corpus/$$target -- -merge=1 -rss_limit_mb=$(FUZZ_RSS_MB)) || exit 1; \
	done

VENV_FIXTURES ?= .venv-fixtures
$(VENV_FIXTURES)/.installed: requirements-fixtures.txt
	$(PY) -m venv $(VENV_FIXTURES)
	$(VENV_FIXTURES)/bin/pip install --quiet --disable-pip-version-check -r requirements-fixtures.txt
	touch $@

fixtures: $(VENV_FIXTURES)/.installed ## Write tests/fixtures/confluent/serde.json with confluent-kafka's own serializers
	$(VENV_FIXTURES)/bin/python tests/fixtures/confluent/generate.py

partitions: ## Refresh src/config/partitions.json from the AWS SDK crate this build resolved
	$(PY) scripts/sdk_partitions.py > src/config/partitions.json

clean: ## Remove build output and the venv
	$(CARGO) clean
	rm -rf $(VENV) $(VENV_SCAN) $(VENV_FIXTURES) .demo
