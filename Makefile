# Everything goes through a venv created here from pinned dependencies: nothing relies on what
# happens to be installed on the machine. `make` alone (`make help`) lists the targets.
#   make test                    default interpreter (python3.11, else python3), venv .venv
#   make test PYTHON=python3.13  that interpreter (3.11 to 3.13) in its own venv, .venv-py3.13
# A venv is rebuilt when its interpreter changes. Under pyenv, `python3.12` is a shim that runs
# only when 3.12 is pyenv's active version: the installed 3.12 is then asked for by name.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   ?= .venv
endif
PY := $(shell p='$(PYTHON)'; \
	if "$$p" -c '' 2>/dev/null; then "$$p" -c 'import sys; print(sys.executable)'; \
	elif command -v pyenv >/dev/null 2>&1; then \
		v=$$(pyenv versions --bare 2>/dev/null | grep -x "$$(echo "$$p" | sed 's/.*python//')[.0-9]*" | tail -n 1); \
		[ -z "$$v" ] || PYENV_VERSION=$$v pyenv which "$$(basename "$$p")" 2>/dev/null; fi)
PY_VERSION := $(if $(PY),$(shell '$(PY)' -c 'import sys; print("%d.%d" % sys.version_info[:2])'))
VENV   ?= .venv-py$(PY_VERSION)
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP    := $(BIN)/python -m pip --quiet --disable-pip-version-check
# requirements*.txt: one lock for Python 3.11 to 3.13, with hashes (Konflux prefetches from it).
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make requirements'
DOCKERFILES := Dockerfile Dockerfile.konflux Dockerfile.tasks

.PHONY: help setup lint format test requirements wheel-check xrd xrd-check input-crd deploy-check \
	deploy-pin run demo bench soak clean FORCE
.DEFAULT_GOAL := help

# `make run`: where the function listens (loopback only; plain text).
RUN_ADDRESS ?= 127.0.0.1:9443

help: ## list the targets and what each does (the default target)
	@echo 'usage: make TARGET [PYTHON=python3.12]; the targets:'
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:[^#]*## / {printf "  %-14s %s\n", $$1, $$2}' \
		$(firstword $(MAKEFILE_LIST))

# Records which interpreter built the venv; a different one (or none yet) starts it afresh.
$(VENV)/.python: FORCE
	@[ -n '$(PY)' ] || { echo "make: no Python interpreter '$(PYTHON)' (pyenv versions: $$(pyenv versions --bare 2>/dev/null | tr '\n' ' '))"; exit 1; }
	@case '$(PY_VERSION)' in 3.11|3.12|3.13) ;; *) echo "make: Python 3.11 to 3.13 is required, $(PY) is $(PY_VERSION)"; exit 1;; esac
	@if [ "$$(cat $@ 2>/dev/null)" != '$(PY)' ]; then \
		echo "creating $(VENV) with $(PY) ($(PY_VERSION))"; \
		rm -rf $(VENV) && '$(PY)' -m venv $(VENV) && echo '$(PY)' > $@; fi

# The runtime dependencies come from the lock, hash-checked, as in the images; then the function
# and the tools (scripts/pyproject.toml, with the test and lint dependencies), both editable.
$(STAMP): $(VENV)/.python pyproject.toml scripts/pyproject.toml requirements.txt
	$(PIP) install --require-hashes -r requirements.txt
	$(PIP) install -e . -e 'scripts[dev]'
	@touch $@

setup: $(STAMP) ## create the venv with the pinned dependencies

lint: setup ## ruff lint + format check, mypy, hadolint on the Dockerfiles, actionlint on the workflows
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint $(DOCKERFILES)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/actionlint

format: setup ## ruff format and ruff's fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

requirements: setup ## lock requirements.txt and requirements-build.txt from pyproject.toml (needs the index)
	$(UV_COMPILE) pyproject.toml -o requirements.txt
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
		| $(UV_COMPILE) - -o requirements-build.txt

wheel-check: setup ## the runtime wheel, alone in a clean venv of PYTHON, answers a RunFunction
	$(BIN)/python -m scripts.wheel_check --python '$(PY)'

xrd: setup ## regenerate xrd/ from crd/
	$(BIN)/xrd-gen sync

xrd-check: setup ## fail when xrd/ is stale
	$(BIN)/xrd-gen sync --check

input-crd: setup ## regenerate package/input/ (the input CRD) from function/input.py
	$(BIN)/python -m scripts.inputcrd

deploy-check: setup ## render deploy/ and validate it against the real CRDs (skips without ../shared)
	$(BIN)/python -m scripts.deploy check

deploy-pin: setup ## pin the function package: make deploy-pin DIGEST=sha256:... [IMAGE=...]
	$(BIN)/python -m scripts.deploy pin $(DIGEST) $(if $(IMAGE),--image $(IMAGE))

test: lint xrd-check deploy-check ## lint, drift check, deploy check and the whole suite
	$(BIN)/pytest -n auto

run: setup ## serve the function on RUN_ADDRESS (default 127.0.0.1:9443), plain text, a log line per call
	@echo 'function-ephemeral-cluster: serving on $(RUN_ADDRESS) (insecure: plain text, loopback); Ctrl-C stops it'
	@exec $(BIN)/function-ephemeral-cluster --insecure --debug --address '$(RUN_ADDRESS)'

demo: setup ## render the built-in example (Ready phase) through the function
	@$(BIN)/python -m scripts.demo

bench: setup ## benchmark against the copy-only yardstick and the no-op floor (ratios, JSON last)
	$(BIN)/fn-bench

soak: setup ## long run at c=16; SOAK_SECONDS overrides the default 600
	$(BIN)/fn-bench soak --seconds $${SOAK_SECONDS:-600}

FORCE:

clean: ## remove the venvs and the caches
	rm -rf .venv .venv-py* .pytest_cache .ruff_cache .hypothesis build *.egg-info scripts/*.egg-info
