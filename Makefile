# Lectern: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 3

.PHONY: run test lint serve setup clean migrations-reversible bench loadtest loadtest-short loadtest-cluster lighthouse vendor

# Create the virtualenv and install the runtime dependencies (again only when
# requirements.txt changes).
$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The front-end checking tools, pinned in package-lock.json: axe-core (accessibility, in
# the browser tests), vnu-jar (the Nu HTML checker) and Lighthouse (`make lighthouse`).
# --ignore-scripts: vnu-jar's postinstall would fetch a Java runtime from outside the
# registry; the machine's own Java (default-jre-headless) runs vnu.jar.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# The player's hls.js, pinned in package-lock.json like the tools above, is served from
# static/vendor/hls.js/, committed (make run needs no npm): `make vendor` copies the build
# in after an upgrade (npm i -E hls.js@X --ignore-scripts); a test checks the copy. The
# light build: the player needs AES-128 (in both builds), not hls.js's subtitles or DRM.
HLS_JS_FILES := dist/hls.light.min.js dist/hls.light.min.js.map dist/hls.worker.js dist/hls.worker.js.map LICENSE

## vendor: copy hls.js from node_modules into static/vendor/hls.js/ (then commit it)
vendor: node_modules/.installed
	rm -rf static/vendor/hls.js && mkdir -p static/vendor/hls.js
	cd node_modules/hls.js && cp $(HLS_JS_FILES) $(CURDIR)/static/vendor/hls.js/

## setup: install, migrate, collect static files, load the demo data (idempotent)
setup: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py load_demo

## run: set everything up and serve the site on http://127.0.0.1:8000 with gunicorn
run: setup serve

# gunicorn and, beside it, a worker for the database task queue (transcoding: the
# "video" backend; README, Background tasks), started and stopped together. Ctrl-C
# reaches both: gunicorn stops, the worker finishes the task it is running (Ctrl-C again
# stops it at once) and the recipe waits for it. If gunicorn ends for another reason
# (the port is taken), the worker is stopped with it.
serve:
	@echo "Lectern is serving on http://$(HOST):$(PORT)/ with a task worker beside it  (Ctrl-C stops both)"
	@$(BIN)/python manage.py db_worker --backend video --queue-name video --no-reload & \
	worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	trap 'trap "wait $$worker" EXIT; exit 130' INT TERM; \
	$(BIN)/gunicorn lms.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--no-control-socket --access-logfile - --timeout 120

## lint: ruff, formatting and missing migrations
lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 1

## migrations-reversible: every migration applies, unapplies and applies again, on a
## scratch database of the kind DATABASE_URL names (SQLite by default)
migrations-reversible: $(BIN)/.installed
	$(BIN)/python scripts/check_migrations.py

## test: install the test tools, lint, then run the whole suite (browser tests included)
## in parallel: a pytest-xdist worker per core, at most 4 (PYTEST_WORKERS=0: one process)
PYTEST_WORKERS ?= auto
test: lint migrations-reversible node_modules/.installed
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4 --dist worksteal $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles test-results node_modules

## lighthouse: serve the demo as production does and run Lighthouse (mobile and desktop)
## on the main pages; writes docs/lighthouse.md
lighthouse: $(BIN)/.installed node_modules/.installed
	command -v redis-server >/dev/null && command -v nginx >/dev/null && test -x /usr/bin/chromium || \
		(apt-get update -qq && apt-get install -y -qq redis-server nginx-light chromium)
	$(BIN)/python scripts/lighthouse.py

## bench: serve with gunicorn (DEBUG=0) and load with wrk (nginx for the streaming
## comparison); writes docs/benchmarks/latest.md and latest.png
bench: $(BIN)/.installed
	command -v wrk >/dev/null && command -v nginx >/dev/null && command -v redis-server >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq wrk nginx-light redis-server)
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	$(BIN)/python scripts/bench.py

## loadtest: 50 simulated students for 5 minutes, PostgreSQL restarted and Redis killed
## under load; writes docs/benchmarks/loadtest.md (needs postgresql + redis-server)
loadtest: $(BIN)/.installed
	$(BIN)/python scripts/loadtest.py --students 50 --seconds 300 --report

## loadtest-short: the same in the short form the suite runs (about 40 s)
loadtest-short: $(BIN)/.installed
	$(BIN)/python scripts/loadtest.py --students 12 --seconds 15 --down 3

## loadtest-cluster: two app servers behind nginx (deploy/nginx.conf) on one PostgreSQL,
## Redis, S3 server (moto) and task worker, under 50 simulated students: upload on one,
## play on the other, shared sessions, rate limits and page cache, one server killed
## and restarted; writes docs/benchmarks/cluster.md (needs postgresql, redis-server,
## nginx and requirements-dev.txt's moto)
loadtest-cluster: $(BIN)/.installed-dev
	command -v nginx >/dev/null && command -v redis-server >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq nginx-light redis-server)
	$(BIN)/python scripts/loadtest_cluster.py --students 50 --seconds 180 --report
