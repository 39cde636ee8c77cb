# Quick start: `make run` and `make test` on a fresh machine with Python 3.11+.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/convene serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check server domain breakouts interpretation scheduler tests bench

# figures go to docs/performance.md; the PostgreSQL rows need the local PostgreSQL and Redis
bench: $(STAMP)
	$(BIN)/python -m bench.fanout
	$(BIN)/python -m bench.breakouts

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
