# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

SPARKSTAMP := $(VENV)/.installed-spark
PGSTAMP := $(VENV)/.installed-postgres

.PHONY: demo test test-spark test-postgres lint format clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/cxlens sample demo --force
	$(BIN)/cxlens run --config demo/cxlens.toml --out out

test: $(DEVSTAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest -n 2 -m "not spark and not postgres" tests

$(SPARKSTAMP): pyproject.toml $(DEVSTAMP)
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $@

# The KPI catalogue on local Spark against DuckDB: one Spark session, so no xdist.
test-spark: $(SPARKSTAMP)
	$(BIN)/python -m pytest -p no:xdist -m spark tests/spark

$(PGSTAMP): pyproject.toml $(DEVSTAMP)
	$(BIN)/pip install -q -e '.[dev,postgres]'
	touch $@

# The KPI catalogue on a throwaway local PostgreSQL (initdb + pg_ctl on 127.0.0.1)
# against DuckDB: one server per session, so no xdist.
test-postgres: $(PGSTAMP)
	$(BIN)/python -m pytest -p no:xdist -m postgres tests/postgres

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(DEVSTAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean-demo:
	rm -rf demo out
