# duban: every target creates .venv on first use, so each is one command on a
# fresh machine with only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench check tasks format clean fuzz

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11 / Python 3.11 is required"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## The whole loop on the shipped table against the local Bot API emulator
	$(BIN)/duban demo

test: $(STAMP)  ## The full test suite (unit, storage, emulator, end-to-end)
	$(BIN)/python -m pytest -q

lint: $(STAMP)  ## ruff (check + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)  ## Speed and memory benchmarks
	$(BIN)/python -m pytest -q benchmarks --benchmark-only -p no:cacheprovider

fuzz: $(STAMP)  ## The table fuzzer in full: 1,500 mutated tables (the test run checks 150)
	DUBAN_FUZZ=full $(BIN)/python -m pytest -q tests/fuzz -p no:cacheprovider

check: $(STAMP)  ## Validate config/tasks.yaml
	$(BIN)/duban check

tasks: $(STAMP)  ## Print the table
	$(BIN)/duban tasks

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
