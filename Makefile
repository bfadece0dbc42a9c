# Two entry points: `make run` (the product on its embedded defaults) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test reliability lint setup assets diagrams clean

run: setup
	$(BIN)/dicase db upgrade
	$(BIN)/dicase deploy --by setup
	$(BIN)/dicase demo-data --scale 50000
	$(BIN)/dicase run

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

# The long runs left out of `make test` (the `slow` marker): crash safety with a few thousand
# instances while worker processes are killed, PostgreSQL restarted mid-run (docs/reliability.md).
RELIABILITY_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

reliability: setup
	DICASE_TEST_DATABASE_URL=$(RELIABILITY_DATABASE_URL) $(BIN)/pytest -m slow -s $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check app workers adapters tests bench
	$(BIN)/mypy app workers adapters

setup: $(STAMP) assets

# The process diagrams in docs/processes/, drawn by the same bpmn-js the modeler uses.
diagrams: setup
	$(BIN)/python scripts/export_diagrams.py

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Built once and again only when a package or a source of the bundles changes, so that two
# `make test` runs side by side (CI) do not copy the same files at once.
ASSETS := app/static/vendor/.built

assets: $(ASSETS)

$(ASSETS): node_modules/.package-lock.json scripts/build-assets.mjs $(wildcard app/modeler/js/*)
	node scripts/build-assets.mjs
	touch $(ASSETS)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

clean:
	rm -rf $(VENV) node_modules app/static/vendor var
