# Two commands do everything on a fresh machine with only python3:
#   make verify   -- create .venv, install the package alone (no test or book tools), run the
#                    verification suite (the main job)
#   make test     -- create .venv, install with the test, book and images extras, lint,
#                    type-check, run the tests, check the wheel, build and check the book
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two installs: the runtime (what `make verify` needs: the package and its dependencies) and
# the developer's (the extras of pyproject.toml). The developer's install implies the runtime.
RUNTIME_STAMP := $(VENV)/.runtime-stamp
STAMP         := $(VENV)/.installed-stamp
export HYPOTHESIS_PROFILE ?= ci
export MPLBACKEND ?= Agg
export PYTHONHASHSEED ?= 0

.PHONY: all install verify verify-full test lint typecheck pytest wheel-check book book-check bench mutation clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(RUNTIME_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,book,images]"
	touch $(RUNTIME_STAMP) $(STAMP)

install: $(STAMP)

verify: $(RUNTIME_STAMP)
	$(BIN)/convotron verify --quick --out build/verify

verify-full: $(RUNTIME_STAMP)
	$(BIN)/convotron verify --full --out build/verify-full

lint: $(STAMP)
	$(BIN)/ruff check convotron theory tests benchmarks book/tools book/_ext book/__init__.py
	$(BIN)/ruff format --check convotron theory tests benchmarks book/tools book/_ext book/__init__.py
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q -m "not book"

# build wheel + sdist, twine check, install the wheel (non-editable) in a fresh venv, run the CLI
wheel-check: $(STAMP)
	PYTHON=$(abspath $(BIN))/python .ci/wheel-check

book: $(STAMP)
	$(BIN)/python -m book.tools.build

book-check: book
	$(BIN)/python -m book.tools.browser_check

test: lint typecheck pytest wheel-check book-check

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_theory.py
	$(BIN)/python benchmarks/bench_rng.py
	$(BIN)/python benchmarks/bench_sampling.py
	$(BIN)/python benchmarks/bench_lockstep.py

# Mutation testing (not part of `make test`; about 20 minutes on 2 cores): mutmut over the
# theorem's constants, the exact second moments, the lemma code and the theorem-parameter glue,
# configured in [tool.mutmut] of pyproject.toml; scores and survivors in MUTATION.md.
# MUTATE narrows the run, e.g. `make mutation MUTATE='theory.spectra.lemmas*'`.
MUTATE ?=
mutation: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 $(MUTATE)
	$(BIN)/mutmut results

clean:
	rm -rf mutants $(VENV) build book/_build .pytest_cache .hypothesis .mypy_cache .ruff_cache
