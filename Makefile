# Two commands on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: standby standby-stop run test install translations messages worker cron clean soak bench backup restore constraints wheel

# The app itself (editable) with its dev extra, every version pinned by constraints.txt.
$(VENV)/.installed: pyproject.toml constraints.txt requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -f -d community/translations 2>&1 | grep -v "^compiling" || true

# Collect new _() strings into the catalog; then write their English in the .po (tests check it).
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o community/translations/messages.pot . | tail -1
	$(BIN)/pybabel update -i community/translations/messages.pot -d community/translations --no-fuzzy-matching

run: install
	@# One launcher (workers/devrun.py) starts the embedded Redis once, migrates, seeds the
	@# demo, and runs the web server, a supervised worker and the cron scheduler (rq cron);
	@# Ctrl-C stops all of them, Redis included.
	$(BIN)/python -m workers.devrun --port $(PORT)

worker: install
	$(BIN)/python -m workers.worker

cron: install
	$(BIN)/python -m workers.cron

# Pin the whole tree again after changing pyproject.toml (what is installed now).
constraints: $(VENV)/.installed
	{ sed -n '/^#/p' constraints.txt; $(BIN)/pip freeze --all --exclude-editable | grep -v -E '^(community-service|pip)=='; } > constraints.tmp
	mv constraints.tmp constraints.txt

# The wheel a deployment installs (dist/).
wheel: $(VENV)/.installed
	$(BIN)/pip wheel --no-deps -w dist .

# Backups (community/core/backup.py, docs/deployment.md "Backups"): the database (pg_dump custom
# format, or the SQLite file) and the uploads folder into BACKUP_DIR/<UTC time>/; a restore
# goes into an EMPTY database and uploads folder only, and checks itself against the backup.
BACKUP_DIR ?= backups
backup: install
	$(BIN)/flask --app wsgi backup create "$(BACKUP_DIR)"

restore: install
	@test -n "$(FROM)" || { echo "usage: make restore FROM=backups/<UTC time>"; exit 2; }
	$(BIN)/flask --app wsgi backup restore "$(FROM)"

# The suite runs on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process); tests
# marked xdist_group (the read-replica ones, which pause the one standby) share a worker.
TEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# A streaming standby of the local PostgreSQL on 127.0.0.1:5433 for the read-replica tests
# (root: it adds a replication line to pg_hba.conf); then run the PostgreSQL pass with
# TEST_REPLICA_URL=postgresql://postgres@127.0.0.1:5433/test. `make standby-stop` removes it.
standby:
	.ci/standby
standby-stop:
	.ci/standby stop

# Load on loopback: gunicorn on PostgreSQL and Redis (see bench/soak.py; SOAK_SECONDS to shorten).
soak: install
	$(BIN)/python bench/soak.py

# Every benchmark, one table (bench/run.py): PostgreSQL + Redis db 7 on 127.0.0.1, gunicorn.
# BENCH_SIZES="50000 5000000" (default) or BENCH_QUICK=1 for 5k vs 50k; databases are kept.
# ONLY=search (staff search, issue 24) or ONLY=replica (dashboards on the standby of
# `make standby` vs the primary under a filing load, issue 31) or ONLY=survey (every GET
# route × every role on both cities, issue 30; bench/bench_survey.py) runs that group alone.
BENCH_SIZES ?= 50000 5000000
ONLY ?=
bench: install
	BENCH_SIZES="$(BENCH_SIZES)" $(BIN)/python -m bench.run $(if $(ONLY),--only $(ONLY))

clean:
	rm -rf $(VENV) instance .pytest_cache
