# Two commands from a bare clone: `make run` and `make test`.
# The Makefile finds a Python >= 3.12 itself (scripts/find-python) unless PYTHON is given.

PYTHON ?= $(shell scripts/find-python)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000
LOCK := requirements/lock.txt
# The tool that writes the lock is pinned too, so `make lock` gives the same file anywhere.
UV_VERSION := 0.13.9

.PHONY: run test setup test-deps chromium serve lint lock bench clean help

help:
	@echo "make run    - install, migrate, import seeds/, create demo accounts, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install and run the whole test suite (browser tests included)"
	@echo "make serve  - production: migrate, collectstatic, gunicorn on $(HOST):$(PORT) (needs DJANGO_SECRET_KEY)"
	@echo "make lint   - ruff check and ruff format --check"
	@echo "make lock   - re-resolve $(LOCK) (hashes included) from pyproject.toml"
	@echo "make bench  - run the benchmarks in bench/"

$(PY):
	@test -n "$(PYTHON)" || { scripts/find-python; exit 1; }
	"$(PYTHON)" -m venv $(VENV)

# Re-install only when the lock changes. Every package, dependencies included, is
# pinned and checked against its hash: nothing unreviewed is installed.
$(VENV)/.installed: $(LOCK) | $(PY)
	$(PIP) install -qq --require-hashes -r $(LOCK)
	@touch $@

setup: $(VENV)/.installed

# Local development: the built-in secret key and uncollected static files are allowed
# (factcheck/settings.py); `make serve` runs without this flag.
run test bench: export FACTCHECK_DEV := 1

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_articles seeds/
	$(PY) manage.py demo_accounts --url http://$(HOST):$(PORT)/
	@echo "Serving on http://$(HOST):$(PORT)/ with the import worker  (Ctrl-C stops both)"
	scripts/run-with-worker $(PY) -- $(PY) manage.py runserver $(HOST):$(PORT)

# Production on one machine. WORKERS and THREADS override factcheck/gunicorn.conf.py.
serve: setup
	@test -n "$$DJANGO_SECRET_KEY" || { \
	  echo "make serve: DJANGO_SECRET_KEY is not set. Set it to a long random value, e.g." >&2; \
	  echo "  export DJANGO_SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" >&2; \
	  exit 1; }
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	@# The django-tasks-db worker (long imports) runs beside gunicorn and stops with it.
	HOST=$(HOST) PORT=$(PORT) $(if $(WORKERS),WORKERS=$(WORKERS)) $(if $(THREADS),THREADS=$(THREADS)) \
	  exec scripts/run-with-worker $(PY) -- $(VENV)/bin/gunicorn -c factcheck/gunicorn.conf.py

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lock: | $(PY)
	$(PIP) install -qq "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --generate-hashes --universal \
	  --python-version 3.12 --custom-compile-command "make lock" --quiet -o $(LOCK)

chromium:
	@scripts/ensure-chromium

test: setup chromium
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts
