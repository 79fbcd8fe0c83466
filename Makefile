# The two commands: `make run` and `make test`. Everything they need is installed from here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test check lint pytest serve bench translations extract chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-run
	$(BIN)/pip install --quiet --editable '.[test]'
	touch $@

# Message catalogues are built from the .po sources, never committed as binaries.
# Compiled only when a catalogue changed, so a running test never sees a half-written one.
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

translations: $(COMPILED)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed-run
	$(BIN)/pybabel compile --use-fuzzy --statistics -d translations -l $* 2>&1 | grep -v '^$$' || true
	@test -f $@

extract: $(VENV)/.installed-run
	$(BIN)/pybabel extract --no-location --sort-by-file -F babel.cfg -k _l -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i translations/messages.pot -d translations

run: translations
	MODERATION_ENVIRONMENT=development $(FLASK) db upgrade
	MODERATION_ENVIRONMENT=development $(FLASK) demo load
	MODERATION_ENVIRONMENT=development $(FLASK) run --host 127.0.0.1 --port $(PORT)

# Debian's Chromium for the browser tests; Playwright never downloads a browser here.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: lint

# pytest exits 5 when it collects nothing: that is a failure here, not a pass.
pytest: $(VENV)/.installed-test translations chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$status

test: check pytest

serve: translations
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

# Benchmarks are not tests: figures go into docs/performance.md.
bench: $(VENV)/.installed-test translations
	$(BIN)/python bench/render.py
	$(BIN)/python bench/queue_pages.py
	$(BIN)/python bench/http.py

clean:
	rm -rf $(VENV) instance/*.sqlite3 translations/*/LC_MESSAGES/*.mo
