# `make run`: set everything up and start the web app and the scheduler. `make test`: set up and run the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
export FLASK_APP := crm
# The web app and the scheduler both write links to where `make run` serves (crm.config: BASE_URL unset).
export HOST PORT

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
	@# Ctrl-C reaches the web app and the scheduler; when the web app ends, however it ends, the scheduler is told
	@# to stop too (SIGTERM): it finishes the batch it is sending, then exits, and this waits for it.
	@$(BIN)/python scheduler.py & scheduler=$$!; \
	trap 'kill -TERM $$scheduler 2>/dev/null' INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT); \
	kill -TERM $$scheduler 2>/dev/null; wait $$scheduler

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
