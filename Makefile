# Radar. `make run` brings everything up; `make test` runs the whole suite. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := .cache/tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
# Installed packages byte-compiled once: `radar` starts in half the time where PYTHONDONTWRITEBYTECODE is set.
export UV_COMPILE_BYTECODE := 1

.PHONY: run demo test test-fast setup kafka-jars kafka-start kafka-stop kafka-status migrate lint contracts clean help

help:
	@echo "make run    - Kafka, database, all services, with the default feeds and topics (Ctrl-C stops all)"
	@echo "make demo   - the same with no internet: local demo feeds, a local mail server and Slack, a demo user"
	@echo "make test   - the whole suite, on a throwaway Kafka on free ports"
	@echo "make lint  - ruff (faults, import order) and mypy (types) over the code; CI runs it before the tests"
	@echo "make test-fast - unit and contract tests on SQLite: no broker, no PostgreSQL, no browser (the inner loop)"
	@echo "make setup  - virtualenv and locked dependencies only"

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "Radar needs $(PYTHON) (Python 3.11) on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml services/*/pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

setup: .venv/.synced

kafka-jars: setup
	deploy/kafka.sh fetch

run: setup kafka-jars
	deploy/run.sh

demo: setup kafka-jars
	deploy/demo.sh

test: setup kafka-jars
	deploy/postgres.sh ensure
	deploy/chromium.sh ensure
	deploy/helm.sh ensure >/dev/null
	.venv/bin/python -m pytest $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy

test-fast: setup
	deploy/helm.sh ensure >/dev/null
	.venv/bin/python -m pytest tests/unit tests/contract -q -k "not postgresql" -m "not kafka and not e2e" $(PYTEST_ARGS)

kafka-start: setup
	deploy/kafka.sh start && deploy/kafka.sh topics
kafka-stop:
	deploy/kafka.sh stop
kafka-status:
	deploy/kafka.sh status

migrate: setup
	.venv/bin/radar db upgrade

contracts: setup
	.venv/bin/python -m radar_shared.contracts --write

clean:
	rm -rf .venv .run
