# The README's two commands: `make demo` (the main job) and `make test`.
# Both start from nothing: a venv, a Docker Engine (installed where root + apt
# allow), images (upstream or stand-ins), then the local cloud.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
export DRYDOCK_VENV := $(VENV)

.PHONY: demo test test-unit test-scenarios lint docker tools venv down clean bench

demo: venv tools docker
	$(BIN)/drydock demo

test: venv tools docker
	$(BIN)/pytest -m "not docker" tests
	$(BIN)/pytest -m docker scenarios

test-unit: venv tools
	$(BIN)/pytest -m "not docker" tests

test-scenarios: venv tools docker
	$(BIN)/pytest -m docker scenarios

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

docker: venv
	scripts/ensure-docker.sh

tools:
	scripts/ensure-tools.sh

bench: venv docker
	$(BIN)/python -m bench.serving

down: venv
	$(BIN)/drydock stack down

clean: down
	rm -rf $(VENV) .drydock
