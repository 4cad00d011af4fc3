# Everything goes through .venv, created here from pinned dependencies: nothing relies on
# what happens to be installed on the machine.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup lint format test xrd xrd-check deploy-check deploy-pin demo bench soak clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

setup: $(STAMP) ## create .venv with the pinned dependencies

lint: setup ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

xrd: setup ## regenerate xrd/ from crd/
	$(BIN)/xrd-gen sync

xrd-check: setup ## fail when xrd/ is stale
	$(BIN)/xrd-gen sync --check

deploy-check: setup ## render deploy/ and validate it against the real CRDs (skips without ../shared)
	$(BIN)/python -m scripts.deploy check

deploy-pin: setup ## pin the function package: make deploy-pin DIGEST=sha256:... [IMAGE=...]
	$(BIN)/python -m scripts.deploy pin $(DIGEST) $(if $(IMAGE),--image $(IMAGE))

test: lint xrd-check deploy-check ## lint, drift check, deploy check and the whole suite
	$(BIN)/pytest -n auto

demo: setup ## render the built-in example (Ready phase) through the function
	@$(BIN)/python -m scripts.demo

bench: setup ## benchmark against the no-op floor (ratios, JSON line last)
	$(BIN)/fn-bench

soak: setup ## long run at c=16; SOAK_SECONDS overrides the default 600
	$(BIN)/fn-bench soak --seconds $${SOAK_SECONDS:-600}

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
