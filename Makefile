# Two entry points: `make run` (the product on its embedded defaults) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint setup assets diagrams clean

run: setup
	$(BIN)/dicase db upgrade
	$(BIN)/dicase deploy --by setup
	$(BIN)/dicase demo-data
	$(BIN)/dicase run

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

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

assets: node_modules/.package-lock.json
	node scripts/build-assets.mjs

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

clean:
	rm -rf $(VENV) node_modules app/static/vendor var
