# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := wsgi

.PHONY: demo test install install-dev

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt

install-dev: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt

## Install, build the SQLite schema, load the demo province and serve it on $(HOST):$(PORT)
## (default 127.0.0.1:5000; e.g. make demo PORT=8080).
demo: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## Install the dev tools and run the whole suite (set TEST_DATABASE_URL for PostgreSQL).
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)
