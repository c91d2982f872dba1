# duban: every target creates .venv on first use, so each is one command on a
# fresh machine with only Python 3.11 and make. The venv is installed from the lock
# files in requirements/ (exact versions, every file hash-checked), never from the
# ranges in pyproject.toml: CI, laptops and the Docker image run the same versions.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DOCKER ?= docker
IMAGE  ?= duban:latest

# The lock files, layered: runtime (what the image runs), fonts (the `fonts` extra: the
# chart's CJK font for CI and laptops), dev (test and lint tools). Each names only what
# the ones before it do not; `make lock` writes them from pyproject.toml.
RUNTIME_LOCK := requirements/runtime.txt
FONTS_LOCK   := requirements/fonts.txt
DEV_LOCK     := requirements/dev.txt
LOCKS        := $(RUNTIME_LOCK) $(FONTS_LOCK) $(DEV_LOCK)
# Named after the locks' content, not their time: a checkout or a `make lock` that changes
# nothing keeps the venv; any change to a lock file makes a new venv.
LOCKED := $(VENV)/.locked-$(shell cat $(LOCKS) 2>/dev/null | cksum | cut -d' ' -f1)

# The lock tool lives in a throwaway venv of its own: it is never a dependency of duban.
TOOLS      := .tools
UV_VERSION := 0.13.9
UV         := $(TOOLS)/bin/uv

.PHONY: demo test test-fast lint bench fuzz check tasks format image lock clean

# A lock file changed (or no venv yet): start from an empty venv, so what the lock no longer names is gone too.
$(LOCKED):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11 / Python 3.11 is required"; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes $(addprefix -r ,$(LOCKS))
	touch $(LOCKED)

$(STAMP): $(LOCKED) pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)  ## The whole loop on the shipped table against the local Bot API emulator
	$(BIN)/duban demo

test: $(STAMP)  ## The full test suite (unit, storage, emulator, deploy, end-to-end)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)  ## The suite without the end-to-end and slow tests (under a minute)
	$(BIN)/python -m pytest -q -m "not e2e and not slow"

lint: $(STAMP)  ## ruff (check + format check) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)  ## Speed and memory benchmarks of issue #12 (benchmarks/results.json, ~8 min)
	$(BIN)/python -m benchmarks.run

fuzz: $(STAMP)  ## The fuzzers in full: 1,500 mutated tables, 400 mutated config directories, 6,000 chat updates (the test run checks a slice)
	DUBAN_FUZZ=full $(BIN)/python -m pytest -q tests/fuzz -p no:cacheprovider

check: $(STAMP)  ## Validate the tables in config/ (tasks.yaml and any other)
	$(BIN)/duban check

tasks: $(STAMP)  ## Print the table
	$(BIN)/duban tasks

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

image:  ## Build the Docker image (needs a Docker engine)
	@$(DOCKER) info >/dev/null 2>&1 || { \
	  echo "无法构建镜像：没有可用的 Docker 引擎（'$(DOCKER) info' 失败）。"; \
	  echo "Cannot build the image: no Docker engine ('$(DOCKER) info' failed)."; \
	  exit 1; }
	$(DOCKER) build -t $(IMAGE) .

# `make lock` keeps the pinned versions that still satisfy pyproject.toml and adds or drops
# what changed there; `make lock UPGRADE=1` moves everything to the newest allowed versions.
# Universal: one lock for Linux, macOS and Windows (markers pick per platform).
LOCK_FLAGS = --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
# --no-emit-package for each package pinned in the given lock files.
pinned_in = $$(sed -n 's/^\([A-Za-z0-9._-]*\)==.*/--no-emit-package \1/p' $(1))

$(UV):
	test -d $(TOOLS) || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION)

lock: $(UV)  ## Refresh requirements/*.txt from pyproject.toml
	@mkdir -p requirements
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -o $(RUNTIME_LOCK)
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) --extra fonts \
	  -c $(RUNTIME_LOCK) $(call pinned_in,$(RUNTIME_LOCK)) -o $(FONTS_LOCK)
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) --extra dev \
	  -c $(RUNTIME_LOCK) -c $(FONTS_LOCK) $(call pinned_in,$(RUNTIME_LOCK) $(FONTS_LOCK)) \
	  -o $(DEV_LOCK)

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .hypothesis
