# Two entry points for a fresh clone: `make run` (set up, open the app) and `make test`.
# The venv is created once; torch 2.13.0 (CPU wheel) is installed before the project so
# pip never resolves torch to a multi-GB CUDA build.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test bench clean models benchmarks-page package package-onefile smoke

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

# Retrain the bundled models (one per recipe, eight now) from resources/recipes and export them to resources/models.
models: $(STAMP)
	$(BIN)/python bench/make_models.py

# docs/benchmarks.md from the saved results in bench/results (nothing retrained: seconds). Each
# row's own command, printed on the page, measures it again (hours of CPU for the toy protocol).
BENCH_PAGE_ARGS := --toys-from bench/results/toys --probe-from bench/results/probe.json \
	--projector-from bench/results/projector.json --shapes-from bench/results/shapes.json \
	--notes-file bench/results/notes.md
benchmarks-page: $(STAMP)
	$(BIN)/python bench/quality.py $(BENCH_PAGE_ARGS)

# Standalone executable (PyInstaller, packaging/gan-explorer.spec): dist/GANExplorer/ (onedir),
# or dist/GANExplorer-onefile (one self-extracting file). Build outputs are not committed.
PYINSTALLER := $(BIN)/pyinstaller
PYI_FLAGS := --noconfirm --log-level WARN --distpath dist

$(PYINSTALLER): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[package]'

package: $(PYINSTALLER)
	$(PYINSTALLER) $(PYI_FLAGS) --workpath build/pyinstaller packaging/gan-explorer.spec
	du -sh dist/GANExplorer

package-onefile: $(PYINSTALLER)
	GAN_EXPLORER_ONEFILE=1 $(PYINSTALLER) $(PYI_FLAGS) --workpath build/pyinstaller packaging/gan-explorer.spec
	du -sh dist/GANExplorer-onefile

# Launch the built bundle offscreen: first image, every panel to PNG, 20 training steps.
smoke:
	packaging/smoke.sh

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
