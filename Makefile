# oneonone — the two commands a newcomer needs are `make run` and `make test`.
CARGO ?= cargo
# Cargo's output folder: CARGO_TARGET_DIR when set (many developers set it globally), else target/.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/release/oneonone
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run build test test-sqlite test-postgres openapi lint bench conformance clients

## Build, seed the demo organisation into ./oneonone.db and serve on http://127.0.0.1:8080
run: build
	$(BIN) seed --demo
	$(BIN) serve

build:
	$(CARGO) build --release -p oneonone-api

## Unit tests and the HTTP suite on SQLite; again on PostgreSQL when ONEONONE_TEST_POSTGRES_URL is set
test: test-sqlite
	@if [ -n "$$ONEONONE_TEST_POSTGRES_URL" ]; then \
		$(MAKE) --no-print-directory test-postgres; \
	else \
		echo "ONEONONE_TEST_POSTGRES_URL is not set: the PostgreSQL run is skipped (CI sets it)."; \
	fi

test-sqlite:
	@echo "== tests on SQLite"
	$(CARGO) build -p oneonone-api
	env -u ONEONONE_TEST_POSTGRES_URL $(CARGO) test --workspace

test-postgres:
	@echo "== tests on PostgreSQL ($$ONEONONE_TEST_POSTGRES_URL)"
	$(CARGO) build -p oneonone-api
	$(CARGO) test -p oneonone-tests

## Regenerate the committed contract
openapi:
	$(CARGO) run -q -p oneonone-api -- openapi > openapi/openapi.json

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Load test on SQLite and PostgreSQL (release build)
bench:
	bash scripts/bench.sh

## schemathesis against the running server's spec, on SQLite and PostgreSQL
conformance:
	bash scripts/conformance.sh

## Typed TypeScript and Python clients generated from the contract run a 1:1 scenario, both databases
clients:
	bash scripts/clients.sh
