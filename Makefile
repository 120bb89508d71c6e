# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST := $(BIN)/python -m pytest

.PHONY: static messages redis soak-nodes run test test-sqlite test-postgres fuzz soak bench lint format install browser checkers backup restore clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(DEV): requirements.txt requirements-dev.txt $(RUNTIME)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(RUNTIME)

# The page checkers the suite runs (package.json, pinned by package-lock.json): the Nu HTML
# Checker (vnu-jar, run on the machine's Java) and axe-core (injected by the browser tests).
# Install scripts are skipped: vnu-jar's would fetch a Java runtime, the machine has one.
CHECKERS := node_modules/.checkers-installed
$(CHECKERS): package.json package-lock.json
	@bin/ensure-checkers
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

checkers: $(CHECKERS)

# The translations (locale/<language>/LC_MESSAGES/django.po) compiled to the .mo files Django
# reads (ignored by git); only catalogues newer than their .mo are compiled again.
messages: $(RUNTIME)
	@bin/ensure-gettext
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules --verbosity 0

# Development settings for manage.py in any terminal of the checkout (manage.py reads them;
# the environment wins; never the web server's settings). Ignored by git and Docker.
local.env:
	@printf '%s\n' '# Written by `make run`: development settings that manage.py reads.' \
	  'DJANGO_DEBUG=1' > $@
	@echo "Wrote $@ (DJANGO_DEBUG=1 for manage.py in this checkout)"

## make run: install, compile the translations, migrate the SQLite database, load the demo
## scorecard once, serve on HOST:PORT (default 127.0.0.1:8000, e.g. make run PORT=8080; the
## Japanese pages under /ja/), with the background worker (webhooks, e-mails) beside the web
## server; Ctrl-C stops both.
run: $(RUNTIME) local.env messages
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py import_scorecard --if-empty fixtures/*.yaml
	@echo "Serving the scorecard on http://$(HOST):$(PORT)/ (in Japanese: http://$(HOST):$(PORT)/ja/; editors: http://$(HOST):$(PORT)/admin/)"
	@echo "The background worker (webhooks, e-mails) runs beside it"
	@DJANGO_DEBUG=1 $(BIN)/python manage.py run_worker --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: install, compile the translations, then the whole suite on SQLite and on a
## private PostgreSQL (with a streaming replica for the read-replica tests), the two passes
## side by side (one core each); the PostgreSQL pass's output shows as it runs, the SQLite
## pass's when it ends.
test: $(DEV) messages browser checkers redis static
	bin/side-by-side postgresql -- bin/with-postgres --replica -- $(PYTEST) ,, sqlite -- $(PYTEST)

test-sqlite: $(DEV) messages browser checkers redis
	@echo "==> Test suite on SQLite"
	$(PYTEST)

test-postgres: $(DEV) messages browser checkers redis
	@echo "==> Test suite on PostgreSQL"
	bin/with-postgres --replica -- $(PYTEST)

# Static files collected once before the test passes, which run side by side and would
# otherwise both collect them (tests/conftest.py collects them when they are stale).
static: $(RUNTIME)
	DJANGO_DEBUG=1 $(BIN)/python manage.py collectstatic --noinput --verbosity 0

# The browser tests drive Debian's Chromium; install it when it is missing.
browser:
	@bin/ensure-chromium

# The shared-cache tests and the multi-node soak start Debian's redis-server themselves.
redis:
	@bin/ensure-redis

## make fuzz: schemathesis over the whole API schema (tests/test_api_schema_fuzz.py), on
## SQLite and on PostgreSQL side by side; prints how long each run took.
fuzz: $(DEV) messages static
	bin/side-by-side fuzz-postgresql -- bin/with-postgres -- $(PYTEST) -m fuzz -s tests/test_api_schema_fuzz.py ,, fuzz-sqlite -- $(PYTEST) -m fuzz -s tests/test_api_schema_fuzz.py

## make soak: 105 seconds of readers and writers against gunicorn on a private
## PostgreSQL, stopped and later paused (SIGSTOP); checks no 500s, 503 + Retry-After during
## the outages, recovery, no lost write, no leaked draft, the rate limit against spoofed
## X-Forwarded-For, refused hostile requests (soak/). Under 4 minutes.
soak: $(DEV) messages static
	bin/with-postgres -- $(BIN)/python soak/run.py

## make soak-nodes: 75 seconds of readers and an editor against two gunicorn nodes of one
## worker each, sharing a private PostgreSQL primary, its streaming replica and Redis; the
## replica stopped and started, Redis restarted; checks no 5xx, writes read back at once by
## their writer and seen on the other node within 2 s, nothing lost, the rate limit across
## nodes (soak/nodes.py). Under 3 minutes. Longer: SOAK_ARGS="--seconds 900 --replica-at 300
## --redis-at 600".
soak-nodes: $(DEV) messages static redis
	bin/with-postgres --replica -- $(BIN)/python soak/nodes.py $(SOAK_ARGS)

## make bench: the benchmark (bench/README.md): API (beside raw SQL and tuned stock DRF), pages,
## export and load, cache cold and warm, against 200,000 evaluations on a private PostgreSQL
## kept in bench/.cache/ (first run loads it; from a clone only root may enter, the cluster
## is kept in /var/tmp/scorecard-postgres/ and linked from there). BENCH_ARGS passes options,
## e.g. BENCH_ARGS="--only api --reps 10"; BENCH_ARGS="--profile large" measures 100,000
## recommendations (2,000,000 evaluations) in a cluster of its own. Prints PASS/FAIL per
## target, writes bench/results.json.
# Each data profile keeps its own cluster: BENCH_ARGS="--profile large" uses pgdata-large.
BENCH_DATA := bench/.cache/$(if $(filter large,$(BENCH_ARGS)),pgdata-large,pgdata)
bench: $(RUNTIME) static messages redis
	@bench/ensure-wrk
	bin/with-postgres --data-dir $(BENCH_DATA) -- $(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make backup: a consistent copy of the database (DATABASE_URL, or the SQLite file) in backups/.
backup: $(RUNTIME)
	$(BIN)/python manage.py backup_database $(if $(FILE),-o $(FILE))

## make restore FILE=backups/...: replace the database with a backup (asks first).
restore: $(RUNTIME)
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/<file>"; exit 2; }
	$(BIN)/python manage.py restore_database $(FILE)

clean:
	rm -rf $(VENV) node_modules local.env db.sqlite3 db.sqlite3-* staticfiles test-artifacts .pytest_cache .ruff_cache
