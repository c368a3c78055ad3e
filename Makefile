# make run   - set up everything and serve the portal with demo data on SQLite at 127.0.0.1:5000,
#              with the job queue's worker (reminders) beside it
# make test  - set up everything, run ruff and the whole test suite
# make bench - the benchmarks (bench/, docs/performance.md)
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# Babel's names of the portal's zh_CN and zh_TW (what Flask-Babel looks for)
LOCALES := zh_Hans_CN zh_Hant_TW en
PO      := $(foreach l,$(LOCALES),portal/translations/$(l)/LC_MESSAGES/messages.po)
MO      := $(PO:.po=.mo)
HTMX_VERSION ?= 2.0.11
HTMX_SSE_VERSION ?= 2.2.4
AXE_VERSION  ?= 4.14.1
export FLASK_APP := wsgi

.PHONY: run test lint install translations extract-messages db demo bench vendor-htmx vendor-htmx-sse vendor-axe clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

translations: $(MO)

db: install translations
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask portal seed-demo --if-empty

# the web app and the job queue's worker (reminders) with one command: the worker runs in the
# background and stops when the web app stops (Ctrl-C)
run: demo
	$(BIN)/python -m flask portal worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m flask run --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .

test: install translations lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Update messages.pot and the catalogues after changing user-facing text.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output \
		--ignore-dirs='.*' -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations \
		--ignore-obsolete --no-fuzzy-matching

# Benchmarks (bench/): data at scales 0.01, 0.1 and 1, the day's 20 staff and the 50-staff
# shift change under gunicorn, the bare-Flask baseline; writes bench/results/latest.md.
# SQLite by default; DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench make bench
bench: install translations
	$(BIN)/python -m bench $(BENCH_ARGS)

vendor-htmx:
	cd /tmp && npm pack htmx.org@$(HTMX_VERSION) >/dev/null && rm -rf htmx-pack && mkdir htmx-pack \
		&& tar xzf htmx.org-$(HTMX_VERSION).tgz -C htmx-pack
	cp /tmp/htmx-pack/package/dist/htmx.min.js /tmp/htmx-pack/package/LICENSE static/vendor/htmx/
	sed -i 's/^htmx.org [0-9.]*/htmx.org $(HTMX_VERSION)/' static/vendor/htmx/VERSION

# the htmx SSE extension (live updates: hx-ext="sse", hx-trigger="sse:…"; docs/live.md)
vendor-htmx-sse:
	cd /tmp && npm pack htmx-ext-sse@$(HTMX_SSE_VERSION) >/dev/null && rm -rf sse-pack && mkdir sse-pack \
		&& tar xzf htmx-ext-sse-$(HTMX_SSE_VERSION).tgz -C sse-pack
	cp /tmp/sse-pack/package/dist/sse.min.js /tmp/sse-pack/package/LICENSE static/vendor/htmx-ext-sse/
	sed -i 's/^htmx-ext-sse [0-9.]*/htmx-ext-sse $(HTMX_SSE_VERSION)/' static/vendor/htmx-ext-sse/VERSION

# axe-core for the browser tests' accessibility checks (tests/e2e/vendor, kept in the repository:
# a fresh machine needs nothing more; this only updates it)
vendor-axe:
	cd /tmp && npm pack axe-core@$(AXE_VERSION) >/dev/null && rm -rf axe-pack && mkdir axe-pack \
		&& tar xzf axe-core-$(AXE_VERSION).tgz -C axe-pack
	cp /tmp/axe-pack/package/axe.min.js /tmp/axe-pack/package/LICENSE \
		/tmp/axe-pack/package/LICENSE-3RD-PARTY.txt tests/e2e/vendor/axe-core/
	sed -i 's/^axe-core [0-9.]*/axe-core $(AXE_VERSION)/' tests/e2e/vendor/axe-core/VERSION

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache $(MO)
