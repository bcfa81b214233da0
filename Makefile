# Every target does its own set-up: a .venv in the checkout, the project installed into it.
# `make demo` installs only the runtime dependencies (numpy, scikit-learn, joblib);
# `make test` and the others install the dev extra too (test tools, pandas, dask,
# mlflow, ...). Both use the same .venv, and each set has its own stamp: `make test`
# after `make demo` installs the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
# `make demo DIR=demo-output` keeps the demo's files, to run its commands yourself.
DIR ?=

.PHONY: demo test lint typecheck unit bench checks-all clean

# Editable installs need pip 21.3 (Python 3.10.0 ships 21.2); a newer one is kept.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip>=21.3"

$(RUNTIME): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

# The dev set includes the runtime one.
$(DEV): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV) $(RUNTIME)

demo: $(RUNTIME)
	$(BIN)/versioned-estimator demo $(if $(DIR),--dir "$(DIR)")

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV)
	$(BIN)/mypy

unit: $(DEV)
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: $(DEV)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/run_all.py

# scikit-learn's checks over every estimator its CI tests, bare and wrapped (long).
checks-all: $(DEV)
	$(BIN)/python tests/compat/check_all_estimators.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
