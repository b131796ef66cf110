# Lampwright: two commands do everything.
#   make run   - create/update .venv, then open the desktop app on the bundled model and sample library
#   make test  - create/update .venv, then lint, type-check and run the whole test suite
# The environment is reused between runs: only what changed is installed (llama-cpp-python compiles
# from source once, ~10 min on 2 cores; pip caches the wheel afterwards).

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.lampwright-installed
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test test-fast lint install bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel

# torch first and pinned: the CPU build on local disk, never a multi-GB CUDA download.
$(VENV)/.torch: | $(PY)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q torch==2.13.0
	touch $@

$(STAMP): pyproject.toml $(VENV)/.torch
	$(PIP) install -q -e '.[all]'
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/lampwright gui

lint: $(STAMP)
	$(VENV)/bin/ruff check engine desktop tests
	$(VENV)/bin/mypy

test: $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not slow" -x -q

bench: $(STAMP)
	$(VENV)/bin/lampwright bench generate

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
