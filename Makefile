# Two commands from a bare clone: `make run` and `make test`.
# The Makefile finds a Python >= 3.12 itself (scripts/find-python) unless PYTHON is given.

PYTHON ?= $(shell scripts/find-python)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup test-deps chromium serve bench clean help

help:
	@echo "make run    - install, migrate, import seeds/, create demo accounts, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install and run the whole test suite (browser tests included)"
	@echo "make bench  - run the benchmarks in bench/"

$(PY):
	@test -n "$(PYTHON)" || { scripts/find-python; exit 1; }
	"$(PYTHON)" -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip

# Re-install only when the pinned dependencies change.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) scripts/requirements.py test > $(VENV)/requirements.txt
	$(PY) -m pip install -qq -r $(VENV)/requirements.txt
	@touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_articles seeds/
	$(PY) manage.py demo_accounts --url http://$(HOST):$(PORT)/
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

chromium:
	@scripts/ensure-chromium

test: setup chromium
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts
