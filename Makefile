# Two commands do everything on a fresh clone: `make demo` and `make test`.
# Both build .venv from requirements.lock (the pinned working set) when it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --disable-pip-version-check --quiet
DEMO_AS_OF ?= 2026-04-15
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: demo test lint typecheck unit bench clean lock chromium

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --no-deps --requirement requirements.lock
	$(PIP) install --no-deps --no-build-isolation --editable .
	@touch $(STAMP)

# The sample company billed weekly up to a fixed date, then an accountant's three commands and
# a refresh run: the same warehouse every day. tests/flows/test_nightly_sample.py checks it.
demo: $(STAMP)
	rm -rf var/billflow.duckdb var/billflow.duckdb.wal var/invoices var/contracts var/outbox var/reports
	$(BIN)/billflow backfill --from 2026-01-05 --to $(DEMO_AS_OF) --every 7 --source-dir data/sample
	$(BIN)/billflow contract cancel C-18405 --reason "The client chose another vendor" --by "Ann Lee" --as-of $(DEMO_AS_OF)
	$(BIN)/billflow invoice credit INV-2026-000005 --lines 3 --reason "Chen's February hours were billed at the wrong rate" --by "Ann Lee" --as-of $(DEMO_AS_OF)
	$(BIN)/billflow contract liquidate C-18412 --record LIQ-2026-001 --by "Ann Lee" --as-of $(DEMO_AS_OF)
	$(BIN)/billflow nightly --as-of $(DEMO_AS_OF) --source-dir data/sample

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Two test processes (pytest-xdist), a test file each at a time: module fixtures (a billed
# warehouse per engine) are built once per file, and each process has its own Prefect test server.
unit: $(STAMP) chromium
	$(BIN)/pytest -q -n 2 --dist loadfile

# Speed at 1M and 10M time entries against the DuckDB floor (benchmarks/bench.py, issue 10):
# generates the pages once into benchmarks/.cache, then prints the table RESULTS.md records.
BENCH_SIZES ?= 1m,10m
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --sizes $(BENCH_SIZES)

# tests/report opens the finance report in headless Chromium (Debian's package), and fails
# without it: install it where it is missing, as root or through sudo.
chromium:
	@command -v chromium >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# Re-resolve the working set from pyproject.toml (needs the package registry) and pin it.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet "setuptools==80.9.0" ".[dev]"
	{ echo "# The pinned working set (python 3.11). Regenerate with \`make lock\` after changing pyproject.toml."; \
	  echo "setuptools==80.9.0"; .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^billflow'; } > requirements.lock
	rm -rf .venv-lock
