# One interface for developers and CI. Every target sets up what it needs first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNSTONE_HOME ?= $(CURDIR)/runstone
PYTEST_WORKERS ?= auto
HOST ?= 127.0.0.1
PORT ?= 5000
PY_DIRS := $(wildcard src tests bench)

.PHONY: install run test lint fix bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/runstone server --backend-store-uri $(RUNSTONE_HOME) --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
