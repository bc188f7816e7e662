# Arkiv5 — the front door. `make help` lists every target.
SHELL := bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS ?= never
UV ?= uv
HOST ?= 127.0.0.1
PORT ?= 8000
PG_STATE_DIR ?= .cache/postgres
KAFKA_STATE_DIR ?= .cache/kafka
PG_PORT ?= 55432
KAFKA_PORT ?= 19092

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'

.PHONY: install
install: ## Create the environment (uv; Python packages from uv.lock)
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet uv
	$(UV) sync --all-packages --frozen

.PHONY: run
run: install ## Serve all services from one process on the embedded default (SQLite + embedded bus in ./var)
	$(UV) run arkiv5 run --host $(HOST) --port $(PORT)

.PHONY: run-distributed
run-distributed: install pg-up kafka-up ## Run the four services as separate processes on PostgreSQL and Kafka
	$(UV) run python scripts/run_distributed.py --pg-state-dir $(PG_STATE_DIR) --kafka-state-dir $(KAFKA_STATE_DIR)

.PHONY: test
test: install ## Run the tests (integration tests too when PostgreSQL and Kafka are up: make pg-up kafka-up)
	bash scripts/run_tests.sh

.PHONY: test-integration
test-integration: install pg-up kafka-up verapdf ## Start PostgreSQL and Kafka, then run every test with no skips allowed
	ARKIV5_REQUIRE_SERVICES=1 bash scripts/run_tests.sh

.PHONY: lint
lint: install ## Lint with ruff and type-check every package with mypy (zero errors, no unused ignores)
	$(UV) run ruff check .
	bash scripts/typecheck.sh

.PHONY: pg-up
pg-up: ## Start a local PostgreSQL server for tests (127.0.0.1:55432)
	python3 scripts/postgres_local.py start --state-dir $(PG_STATE_DIR) --port $(PG_PORT)

.PHONY: pg-down
pg-down: ## Stop the local PostgreSQL server
	python3 scripts/postgres_local.py stop --state-dir $(PG_STATE_DIR)

.PHONY: kafka-up
kafka-up: ## Fetch Kafka 3.9 from Maven Central (once) and start a single-node KRaft broker (127.0.0.1:19092)
	python3 scripts/kafka_broker.py start --state-dir $(KAFKA_STATE_DIR) --port $(KAFKA_PORT) --controller-port $$(( $(KAFKA_PORT) + 1 ))

.PHONY: kafka-down
kafka-down: ## Stop the local Kafka broker
	python3 scripts/kafka_broker.py stop --state-dir $(KAFKA_STATE_DIR)

RABBITMQ_STATE_DIR ?= .cache/rabbitmq
RABBITMQ_PORT ?= 15672
DOVECOT_STATE_DIR ?= .cache/dovecot
DOVECOT_PORT ?= 10143

.PHONY: rabbitmq-up
rabbitmq-up: ## Start a local RabbitMQ broker for Fiks IO (Debian's rabbitmq-server; amqp://guest:guest@127.0.0.1:15672/)
	python3 scripts/rabbitmq_local.py start --state-dir $(RABBITMQ_STATE_DIR) --port $(RABBITMQ_PORT)

.PHONY: rabbitmq-down
rabbitmq-down: ## Stop the local RabbitMQ broker
	python3 scripts/rabbitmq_local.py stop --state-dir $(RABBITMQ_STATE_DIR)

.PHONY: dovecot-up
dovecot-up: ## Start a local Dovecot IMAP server for the mailbox (Debian's dovecot-imapd; 127.0.0.1:10143, postmottak/postmottak)
	python3 scripts/dovecot_local.py start --state-dir $(DOVECOT_STATE_DIR) --port $(DOVECOT_PORT)

.PHONY: dovecot-down
dovecot-down: ## Stop the local Dovecot IMAP server
	python3 scripts/dovecot_local.py stop --state-dir $(DOVECOT_STATE_DIR)

.PHONY: verapdf
verapdf: ## Fetch veraPDF (the full PDF/A validator) from Maven Central into ~/.cache/arkiv5 (once)
	python3 scripts/verapdf.py fetch

.PHONY: reference-check
reference-check: install ## Verify the reference folder (ARKIV5_REFERENCE_DIR, default ../shared/reference) against the manifest
	$(UV) run python -m arkiv5_kit.reference

.PHONY: contracts
contracts: install ## Export every event's JSON Schema and the AsyncAPI document to docs/contracts/
	$(UV) run python -m arkiv5_contracts.export docs/contracts

.PHONY: settings-doc
settings-doc: install ## Regenerate the service-specific settings table in docs/operations.md
	$(UV) run python scripts/settings_reference.py

.PHONY: bench
bench: install pg-up kafka-up verapdf ## Run the benchmarks (full size) and print their figures
	$(UV) run python bench/run.py --pg-state-dir $(PG_STATE_DIR) --kafka-state-dir $(KAFKA_STATE_DIR)

.PHONY: deploy-tools
deploy-tools: ## Install the deploy checkers (promtool, kubernetes-validate, checkov, hadolint) outside the project env
	bash scripts/install_deploy_tools.sh

.PHONY: deploy-check
deploy-check: install ## Render and validate every Kubernetes overlay, Dockerfile, alert rule, dashboard and live metrics
	bash scripts/deploy_check.sh

.PHONY: clean
clean: ## Remove ./var (the embedded default's data) and test caches
	rm -rf var .pytest_cache
