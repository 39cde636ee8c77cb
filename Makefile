# Quick start: `make run` and `make test` on a fresh machine with Python 3.11+.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean vendor screenshots

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

# axe-core for the console's accessibility tests only (never served); pinned here
AXE_VERSION := 4.10.3
vendor:
	rm -rf .vendor && mkdir -p .vendor
	cd .vendor && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz
	cp .vendor/package/axe.min.js .vendor/package/LICENSE tests/support/axe/
	rm -rf .vendor

# each role's console page in English and Arabic, for docs/console.md (not part of test)
screenshots: $(STAMP)
	CONVENE_SCREENSHOTS=$(CURDIR)/docs/console $(BIN)/pytest -q -p no:cacheprovider \
		tests/integration/test_console_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
