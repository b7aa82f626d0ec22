# Two commands do everything on a fresh clone: `make demo` and `make test`.
# Both build .venv from requirements.lock (the pinned working set) when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
DEMO_AS_OF ?= 2026-04-15

.PHONY: demo test lint typecheck unit bench clean lock

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --no-deps --requirement requirements.lock
	$(PIP) install --no-deps --no-build-isolation --editable .
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/billflow backfill --from 2026-01-05 --to $(DEMO_AS_OF) --every 7 --source-dir data/sample

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# Re-resolve the working set from pyproject.toml (needs the package registry) and pin it.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet "setuptools==80.9.0" ".[dev]"
	{ echo "# The pinned working set (python 3.11). Regenerate with \`make lock\` after changing pyproject.toml."; \
	  echo "setuptools==80.9.0"; .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^billflow'; } > requirements.lock
	rm -rf .venv-lock
