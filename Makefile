# The two commands: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
VENV ?= .venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
# Dagster's own commands with the environment `ella` gives itself (ELLA_DAGSTER_PG_PASSWORD from
# ELLA_DATABASE_URL when unset), so a PostgreSQL instance with a password needs nothing more.
WITH_ENV := $(VENV)/bin/python -m ella_dagster.instance exec
CONCURRENCY ?= $(shell nproc 2>/dev/null || echo 2)
READONLY_PORT ?= 3001

.PHONY: setup system-deps browser-deps demo test test-fast services ui lint bench clean worker ui-readonly

system-deps:
	@command -v tesseract >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng python3-venv >/dev/null; }

# Debian's Chromium for tests/test_browser.py (Playwright drives it; it downloads no browser of its own).
browser-deps:
	@command -v chromium >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

setup: system-deps $(VENV)/.installed

demo: setup
	$(VENV)/bin/ella demo

services:
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-redis.sh

# The unit tier only (no slow, PostgreSQL, S3, daemon or browser test): under a minute, on two
# pytest-xdist workers (its tests share no port, file or DAGSTER_HOME).
test-fast: setup
	$(VENV)/bin/ruff check ella_dagster tests benchmarks
	$(VENV)/bin/pytest -q -n 2 -m "not slow and not postgres and not s3 and not daemon and not browser"

test: setup services browser-deps
	$(VENV)/bin/ruff check ella_dagster tests benchmarks
	$(VENV)/bin/pytest

ui: setup
	$(VENV)/bin/ella init
	$(WITH_ENV) $(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# A second webserver on the same instance that can look but not launch, cancel, wipe or toggle
# anything (analysts, reviewers). Loopback only: publish it through the authenticating proxy.
ui-readonly: setup
	$(VENV)/bin/ella init
	$(WITH_ENV) $(VENV)/bin/dagster-webserver -w workspace.yaml -h 127.0.0.1 -p $(READONLY_PORT) --read-only

# A Celery run worker (ELLA_CELERY_BROKER_URL set, same ELLA_* settings as the daemon's machine).
worker: setup
	$(VENV)/bin/ella worker --concurrency $(CONCURRENCY)

bench: setup
	$(VENV)/bin/python benchmarks/throughput.py

lint: setup
	$(VENV)/bin/ruff check ella_dagster tests benchmarks
	$(VENV)/bin/ruff format --check ella_dagster tests benchmarks

clean:
	rm -rf data
