# The two commands: `make demo` and `make test`. Both install what is missing first.
SHELL := /bin/bash
VENV ?= .venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

.PHONY: setup system-deps demo test services ui lint bench clean

system-deps:
	@command -v tesseract >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng python3-venv >/dev/null; }

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

test: setup services
	$(VENV)/bin/ruff check ella_dagster tests benchmarks
	$(VENV)/bin/pytest

ui: setup
	$(VENV)/bin/ella init
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: setup
	$(VENV)/bin/python benchmarks/throughput.py

lint: setup
	$(VENV)/bin/ruff check ella_dagster tests benchmarks
	$(VENV)/bin/ruff format --check ella_dagster tests benchmarks

clean:
	rm -rf data
