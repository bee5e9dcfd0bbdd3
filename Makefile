# Nära developer commands. Quick start: `make sandbox` (try it) and `make test` (every test).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
POT := locales/messages.pot

.PHONY: help setup sandbox test system-deps compile extract update lint bench triage-model clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(BIN)/nara: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

setup: $(BIN)/nara compile  ## create .venv with Nära and its test tools

sandbox: setup  ## run the bot on a local Telegram-compatible server, chat at http://127.0.0.1:8080/
	$(BIN)/nara sandbox

system-deps:  ## install PostgreSQL and Chromium from Debian (needed by the tests)
	bash scripts/install-system-deps

test: setup system-deps  ## run every test: SQLite, PostgreSQL, end to end and the browser
	$(BIN)/pytest

compile:  ## compile the translations (locales/*/LC_MESSAGES/messages.mo)
	$(BIN)/pybabel compile --domain messages --directory locales --statistics

extract:  ## collect every message from the code into locales/messages.pot
	$(BIN)/pybabel extract -F babel.cfg -k N_ -c TRANSLATORS: --no-location --sort-output \
		--project=Nära --copyright-holder="Nära contributors" -o $(POT) .

update: extract  ## bring every locale's messages.po up to date with the .pot
	$(BIN)/pybabel update --domain messages --input-file $(POT) --output-dir locales \
		--no-fuzzy-matching --ignore-obsolete

lint:  ## ruff everywhere, mypy --strict on flows/ and storage/
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup  ## run every benchmark and print its figures
	for script in $(filter-out bench/echo_bot.py,$(wildcard bench/*.py)); do \
		$(BIN)/python $$script || exit 1; done

triage-model: setup  ## retrain triage's model on the dev corpus (catalogue/triage/model.json.gz)
	$(BIN)/python scripts/train_triage.py

clean:  ## remove the virtual environment and build output
	rm -rf $(VENV) build dist *.egg-info locales/*/LC_MESSAGES/*.mo
