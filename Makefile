# The workbook's entry points. Only Python 3.11+ is needed: everything else is installed
# into .venv from pyproject.toml on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lab bench install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## run: every notebook headless on a fresh emulator; executed notebooks + build/report.html
run: $(STAMP)
	$(BIN)/labkit run --out build

## test: lint and types, then the whole test suite (unit, emulator, notebooks, nbval, and
## JupyterLab in a real browser when a Chromium is installed)
test: $(STAMP)
	$(BIN)/ruff check labkit tests benchmarks
	$(BIN)/ruff format --check labkit tests benchmarks
	$(BIN)/mypy labkit
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  echo "NOTE: no Chromium found: the browser tests (tests/browser) will be SKIPPED; install it with: apt-get install chromium"
	$(BIN)/python -m pytest

## lab: open JupyterLab on the notebooks (127.0.0.1, no news pop-up, works as root)
lab: $(STAMP)
	$(BIN)/python -m labkit.launch notebooks/

## bench: the benchmarks, with their baselines measured in the same run
bench: $(STAMP)
	$(BIN)/python -m benchmarks.workbook
	$(BIN)/python -m benchmarks.baseline

clean:
	rm -rf build .pytest_cache
