# Two entry points for a fresh clone: `make run` (set up, open the app) and `make test`.
# The venv is created once; torch 2.13.0 (CPU wheel) is installed before the project so
# pip never resolves torch to a multi-GB CUDA build.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test bench clean models

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/gan-explorer

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/forward_latency.py
	$(BIN)/python bench/digits_rate.py

# Retrain the five bundled models from resources/recipes and export them to resources/models.
models: $(STAMP)
	$(BIN)/python bench/make_models.py

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
