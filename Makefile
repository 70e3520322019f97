# The two commands a new machine needs: `make serve` and `make test`. Both install what they need first
# (uv, then the locked dependencies from uv.lock), so nothing else has to be set up.
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
# `make serve HOST=0.0.0.0 PORT=9000`; unset, billfold serve takes BILLFOLD_HOST / BILLFOLD_PORT (127.0.0.1:8000)

.PHONY: serve test sync lint typecheck bench clean locales

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# The installed packages and Billfold's own modules are compiled to bytecode here, once: where
# PYTHONDONTWRITEBYTECODE is set, every process (each `billfold` the tests start) would otherwise compile
# SQLAlchemy, Alembic, FastAPI and Billfold again as it starts (~2 s on a slow machine).
sync: $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	$(UV) run --frozen python -m compileall -q src

serve: sync
	$(UV) run --frozen billfold serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

lint: sync
	$(UV) run --frozen ruff check src tests bench
	$(UV) run --frozen ruff format --check src tests bench
	$(UV) run --frozen lint-imports

typecheck: sync
	$(UV) run --frozen mypy

test: lint typecheck
	$(UV) run --frozen pytest

bench: sync
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	$(UV) run --frozen python bench/run.py

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache

# Document wording: extract the messages, merge them into every catalogue, compile the .mo files (committed).
LOCALES := src/billfold/documents/locales
locales: sync
	$(UV) run --frozen pybabel extract -F $(LOCALES)/babel.cfg -k _ -k gettext --no-location --omit-header \
		-o $(LOCALES)/billfold.pot src/billfold/documents
	$(UV) run --frozen pybabel update -i $(LOCALES)/billfold.pot -d $(LOCALES) -D billfold -w 110 --ignore-obsolete
	$(UV) run --frozen pybabel compile -d $(LOCALES) -D billfold
