# Refurbot: `make run` chats with the bot, `make test` runs the whole suite. Both set everything up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PIP    := $(PY) -m pip --disable-pip-version-check --quiet

.PHONY: install setup run test lint bench clean

install: $(STAMP)

# Installs exactly the locked tree (no resolver run, no surprise upgrades); skipped when nothing changed.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --no-deps -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: install
	@mkdir -p var
	$(PY) run_bot.py setup

run: install
	@mkdir -p var
	$(PY) run_bot.py chat   # migrates and builds the index itself when missing or stale

test: setup
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check bot tests benchmarks run_bot.py
	$(VENV)/bin/mypy

bench: setup
	$(PY) benchmarks/replay_latency.py
	$(PY) benchmarks/load.py
	$(PY) benchmarks/load.py --concurrency 32 --backend sqlite
	$(PY) benchmarks/telegram_stack.py
	$(PY) benchmarks/retrieval.py
	$(PY) benchmarks/understanding.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
