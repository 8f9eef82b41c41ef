# One interface for developers and CI. Every target sets up what it needs first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNSTONE_HOME ?= $(CURDIR)/runstone
PYTEST_WORKERS ?= auto
HOST ?= 127.0.0.1
PORT ?= 5000
PY_DIRS := $(wildcard src tests bench examples)

.PHONY: install ui run test lint fix bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The web UI (ui/): `npm ci` when the lock file changed, `npm run build` (into the package's
# server/static/) when a source changed or the build is missing. Stamps: a file that npm ci's
# run leaves, and the built index.html (rewritten by every build).
UI_DEPS := ui/node_modules/.ci-stamp
UI_STAMP := src/runstone/server/static/index.html
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) \
	ui/index.html ui/package.json ui/vite.config.ts ui/tsconfig.json

$(UI_DEPS): ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $(UI_DEPS)

$(UI_STAMP): $(UI_DEPS) $(UI_SOURCES)
	cd ui && npm run build

ui: $(UI_STAMP)

run: $(STAMP) $(UI_STAMP)
	$(BIN)/runstone server --backend-store-uri $(RUNSTONE_HOME) --host $(HOST) --port $(PORT)

lint: $(STAMP) $(UI_DEPS)
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd ui && npm run typecheck
	cd ui && npm run lint

test: lint $(UI_STAMP)
	cd ui && npm run test
	$(BIN)/pytest -n $(PYTEST_WORKERS)

fix: $(STAMP)
	$(BIN)/ruff check --fix $(PY_DIRS)
	$(BIN)/ruff format $(PY_DIRS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/store_bench.py
	$(BIN)/python bench/client_bench.py
	$(BIN)/python bench/server_bench.py
	$(BIN)/python bench/artifact_bench.py
	$(BIN)/python bench/registry_bench.py
	$(BIN)/python bench/serving_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
