# `make run`: set everything up and start the web app and the scheduler. `make test`: set up and run the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
export FLASK_APP := crm

.PHONY: run test install setup translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d crm/translations >/dev/null

setup: install
	$(BIN)/flask setup

run: setup
	@echo "Back-office : http://$(HOST):$(PORT)/  (Ctrl-C arrête l'application et le planificateur)"
	@# When either ends (Ctrl-C, or the web app stopped), the whole group is told to stop, this shell excepted
	@# (a trap that signals its own shell would call itself again), and the scheduler ends its current batch.
	@trap 'trap "" INT TERM; kill 0; wait' INT TERM; \
	$(BIN)/python scheduler.py & \
	$(BIN)/flask run --host $(HOST) --port $(PORT); \
	trap "" INT TERM; kill 0; wait

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
