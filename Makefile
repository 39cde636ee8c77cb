# Quick start: `make run` and `make test` on a fresh machine with Python 3.11+.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean vendor vendor-janus screenshots

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

# issue 19's targets, each printed with its median and range and whether it holds;
# figures go to docs/performance.md. Within 60 minutes on 2 cores (bench.fanout takes
# about 45 of them); BENCH_QUICK=1: the 1,000-client rows only. The PostgreSQL rows
# need the local PostgreSQL and Redis; the Node floor needs node (npm ci --prefix bench).
bench: $(STAMP)
	$(BIN)/python -m bench.fanout
	$(BIN)/python -m bench.breakouts
	$(BIN)/python -m bench.resume

# axe-core for the console's accessibility tests only (never served); pinned here
AXE_VERSION := 4.10.3
vendor:
	rm -rf .vendor && mkdir -p .vendor
	cd .vendor && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz
	cp .vendor/package/axe.min.js .vendor/package/LICENSE tests/support/axe/
	rm -rf .vendor
	$(MAKE) vendor-janus

# Janus's JavaScript client for the console's audio (served, from 'self'), at the
# version of Debian's janus 1.1, with the webrtc-adapter it was built against
JANUS_JS_VERSION := 1.1.4
ADAPTER_VERSION := 8.2.2
JS_VENDOR := server/console/static/vendor
vendor-janus:
	rm -rf .vendor && mkdir -p .vendor/j .vendor/a $(JS_VENDOR)
	cd .vendor && npm pack --silent janus-gateway@$(JANUS_JS_VERSION) webrtc-adapter@$(ADAPTER_VERSION) >/dev/null
	tar xzf .vendor/janus-gateway-$(JANUS_JS_VERSION).tgz -C .vendor/j
	tar xzf .vendor/webrtc-adapter-$(ADAPTER_VERSION).tgz -C .vendor/a
	cp .vendor/j/package/dist/janus.es.js $(JS_VENDOR)/janus.es.js
	sed -n '/The MIT License/,/SOFTWARE\./p' .vendor/j/package/dist/janus.es.js > $(JS_VENDOR)/janus.LICENSE
	cp .vendor/a/package/out/adapter.js $(JS_VENDOR)/adapter.js
	cp .vendor/a/package/LICENSE.md $(JS_VENDOR)/adapter.LICENSE
	rm -rf .vendor

# each role's console page in English and Arabic, for docs/console.md (not part of test)
screenshots: $(STAMP)
	CONVENE_SCREENSHOTS=$(CURDIR)/docs/console $(BIN)/pytest -q -p no:cacheprovider \
		tests/integration/test_console_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
