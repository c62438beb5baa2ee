# Two commands matter on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench assets install migrate bootstrap schema clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed assets

# htmx and SortableJS (the Flow Builder's drag and drop) come from the npm registry;
# nothing is downloaded at run time.
static/vendor/htmx.min.js static/vendor/Sortable.min.js &: package.json
	npm install --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/sortablejs/Sortable.min.js static/vendor/Sortable.min.js

assets: static/vendor/htmx.min.js static/vendor/Sortable.min.js

migrate: install
	$(PY) manage.py migrate --noinput

bootstrap: migrate
	$(PY) manage.py iam_bootstrap

# Web server on $(HOST):$(PORT) plus a Celery worker and beat, on the embedded
# default (SQLite, SQLite-backed broker) unless DATABASE_URL / CELERY_BROKER_URL say otherwise.
run: bootstrap
	HOST=$(HOST) PORT=$(PORT) PY=$(PY) bash scripts/run-dev.sh

test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: install
	$(PY) manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn

bench: install
	bash bench/run.sh

clean:
	rm -rf $(VENV) node_modules static/vendor var
