# VAULT03: `make run` starts the whole fleet on this machine, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

# The staff console (ui/): pnpm as pinned in ui/package.json, from the npm registry when this
# machine has Node.js but no pnpm.
PNPM_VERSION := $(shell sed -n 's/.*"packageManager": "pnpm@\([^"]*\)".*/\1/p' ui/package.json)
PNPM := $(shell command -v pnpm 2>/dev/null || echo npx --yes pnpm@$(PNPM_VERSION))
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/package.json \
	ui/pnpm-lock.yaml ui/vite.config.ts ui/tsconfig.json

.PHONY: run test lint typecheck install clean bench docs ui ui-client console-screenshots messages


$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# `make run` needs only what the fleet runs on: its first start on a new machine then takes
# half the time the test tools would add. The test install includes it.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP) $(RUN_STAMP)

install: $(STAMP)

# The console builds beside the starting fleet (the API serves it as soon as it is there), so
# the fleet starts as fast as without it.
run: $(RUN_STAMP)
	@$(MAKE) -s --no-print-directory ui &
	$(BIN)/python -m vault03_api.devrun

# Built when missing or older than its sources; without Node.js the fleet still starts.
# (`pnpm build` also typechecks; the tests do that, `make run` only bundles.)
ui: ui/dist/index.html

ui/dist/index.html: $(UI_SOURCES)
	@if command -v node >/dev/null 2>&1; then \
		cd ui && $(PNPM) install --frozen-lockfile --prefer-offline && $(PNPM) exec vite build; \
	else \
		echo "  The staff console needs Node.js 20 or newer to build (Debian: apt-get install nodejs npm)."; \
		echo "  Starting the fleet without it: the API answers at /api, the console is not served."; \
	fi

# The console's API client, after a change to the API: ui/openapi.json, then its types.
ui-client: $(STAMP)
	$(BIN)/python infra/scripts/openapi.py
	cd ui && $(PNPM) install --frozen-lockfile && $(PNPM) api:types

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The translation catalogues: texts added to or changed in messages and portal pages are merged
# into every language's .po (services/common/vault03_common/locale/); then translate the new
# entries (tests/common/test_catalogues.py fails on a missing, empty or fuzzy one).
LOCALE := services/common/vault03_common/locale
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header \
		--project VAULT03 -o $(LOCALE)/vault03.pot .
	$(BIN)/pybabel update -D vault03 -i $(LOCALE)/vault03.pot -d $(LOCALE) \
		--no-fuzzy-matching --ignore-obsolete --no-wrap
	# No extraction date in the catalogues: it changed on every run and made branches conflict.
	sed -i '/^"POT-Creation-Date: /d' $(LOCALE)/*/LC_MESSAGES/vault03.po

# The README's settings reference and env/*.env.example, from the settings classes.
docs: $(STAMP)
	$(BIN)/python infra/scripts/settings_doc.py

# docs/console/*.png, taken again by the console's browser tests (see docs/console.md).
console-screenshots: $(STAMP)
	VAULT03_SCREENSHOTS=1 $(BIN)/pytest tests/ui -q

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache ui/node_modules ui/dist
