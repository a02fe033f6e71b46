# The two commands that matter: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
OUT ?= output
# Debian packages: a CJK font for PDF route sheets and plots (both targets), Chromium to check
# the HTML report and poppler for the PDF text check (tests only).
RUN_DEBS := fonts-wqy-microhei
TEST_DEBS := $(RUN_DEBS) chromium poppler-utils

.PHONY: run test lint install system-deps system-deps-test clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (or set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The install also compiles the numba route search into numba's on-disk cache, so that the
# first large solve does not spend its deadline compiling (3 s on an idle machine, up to 46 s
# measured under load).
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -c "from wasteopt.routing.intra_route import warm_up; warm_up()"
	@touch $@

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(STAMP)

# Install missing Debian packages when we can (root + apt-get); otherwise say what is missing.
system-deps:
	@./scripts/debian-deps.sh $(RUN_DEBS)

system-deps-test:
	@./scripts/debian-deps.sh $(TEST_DEBS)

run: $(STAMP) system-deps
	$(BIN)/wasteopt run scenarios/jintan --out $(OUT)

test: lint system-deps-test
	$(BIN)/python -m pytest -q

lint: $(DEV_STAMP)
	$(BIN)/python -m ruff check wasteopt tests benchmarks scenarios
	$(BIN)/python -m ruff format --check wasteopt tests benchmarks scenarios
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .mypy_cache
