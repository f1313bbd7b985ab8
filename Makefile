# One task runner; CI calls `make test` verbatim.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Swagger UI 5 for /schema, from the npm package pinned in package-lock.json (served offline).
SWAGGER_DIR := src/ksp/api/static/swagger-ui
SWAGGER_FILES := swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE
# Det Fælles Designsystem (npm dkfds, pinned in package-lock.json) for the pages, served offline.
DKFDS_DIR := src/ksp/web/static/dkfds
DKFDS_DIST := node_modules/dkfds/dist

.PHONY: run test lint typecheck unit bench load fuzz install clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: uv.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv sync --frozen --inexact
	touch $@

# The real OpenID provider of the sign-in tests (tests/oidc), exactly as its lockfile says;
# skipped where there is no Node (those tests then skip, except under .ci/run).
tests/oidc/node_modules/.installed: tests/oidc/package.json tests/oidc/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the sign-in tests against a real OpenID provider will skip"; fi

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(SWAGGER_DIR)/swagger-ui-bundle.js: node_modules/.installed
	rm -rf $(SWAGGER_DIR) && mkdir -p $(SWAGGER_DIR)
	cp $(addprefix node_modules/swagger-ui-dist/,$(SWAGGER_FILES)) $(SWAGGER_DIR)/

$(DKFDS_DIR)/css/dkfds.min.css: node_modules/.installed
	rm -rf $(DKFDS_DIR) && mkdir -p $(DKFDS_DIR)/css $(DKFDS_DIR)/js $(DKFDS_DIR)/fonts/IBMPlexSans/complete
	cp -R $(DKFDS_DIST)/img $(DKFDS_DIR)/
	cp -R $(DKFDS_DIST)/fonts/IBMPlexSans/complete/woff2 $(DKFDS_DIST)/fonts/IBMPlexSans/complete/woff $(DKFDS_DIR)/fonts/IBMPlexSans/complete/
	cp $(DKFDS_DIST)/js/dkfds.min.js $(DKFDS_DIR)/js/
	cp node_modules/dkfds/LICENSE.md $(DKFDS_DIR)/
	cp $(DKFDS_DIST)/css/dkfds.min.css $(DKFDS_DIR)/css/

install: $(VENV)/.installed tests/oidc/node_modules/.installed $(SWAGGER_DIR)/swagger-ui-bundle.js $(DKFDS_DIR)/css/dkfds.min.css

run: install
	$(BIN)/ksp db upgrade
	$(BIN)/ksp serve

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/run.py --out bench/results.json

load: install
	$(BIN)/python bench/load.py --out bench/load.json

# The schemathesis run of `make test`, with ten times the generated requests.
fuzz: install
	KSP_FUZZ_EXAMPLES=1000 $(BIN)/pytest tests/e2e/test_schemathesis.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache node_modules $(SWAGGER_DIR) $(DKFDS_DIR)
