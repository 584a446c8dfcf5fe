# Two entry points (see README): `make run` and `make test`. Everything else here
# is what those two need, installed only when missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
BIND ?= 127.0.0.1:$(PORT)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUN_PACKAGES := ffmpeg fonts-noto-cjk fonts-noto-core gettext libpango-1.0-0 \
  libpangoft2-1.0-0 libharfbuzz-subset0
# The screen box's kit (deploy/screen-box) is tested under Xvfb with openbox
# and checked by shellcheck, systemd-analyze and desktop-file-validate.
TEST_PACKAGES := $(RUN_PACKAGES) chromium chromium-driver poppler-utils \
  xvfb openbox python3-xdg x11-utils x11-xserver-utils curl jq shellcheck \
  desktop-file-utils systemd

.PHONY: run dev test check bench lock messages system-run system-test system-bench

# `make run` is the product as production runs it on one machine (DEBUG off,
# gunicorn and the workers under supervisord, see `manage.py serve`); every
# absolute link it gives is at PUBLIC_BASE_URL.
run: export DJANGO_SETTINGS_MODULE ?= cms.settings.production
run: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: system-run $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py record_player_release
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_demo
	$(PY) manage.py ensure_demo_users
	@echo "site: $(PUBLIC_BASE_URL)/  admin: $(PUBLIC_BASE_URL)/admin/"
	exec $(PY) manage.py serve --bind $(BIND)

# The development server (DEBUG on, reloading on change) and the worker.
dev: export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
dev: system-run $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py record_player_release
	$(PY) manage.py load_demo
	$(PY) manage.py ensure_demo_users
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py db_worker --no-reload --queue-name '*' --verbosity 0 & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Test processes (pytest-xdist): much of the suite waits on browsers, servers
# and subprocesses, so on SQLite a third process on the two cores overlaps
# those waits (13 min against 14+ with two); on PostgreSQL the database
# server needs the cores too (three processes: 20 min, two: about 15). Tests
# are handed out one by one in pytest-django's order (database tests before
# the transactional ones that empty the database), except that a module
# marked xdist_group runs whole on one process (--dist loadgroup), so its
# module-scoped fixtures (the demo, the deployment) are made once. Each
# process owns a Redis database (tests/redis_db.py). PYTEST_WORKERS= runs in
# one process.
ifneq (,$(findstring postgres,$(DATABASE_URL)))
PYTEST_WORKERS ?= -n 2 --dist loadgroup
else
PYTEST_WORKERS ?= -n 3 --dist loadgroup
endif
test: system-test $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The shape of the code: lint, format, import layers (pyproject.toml's
# import-linter contracts) and no model change without its migration.
check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run

bench: system-bench $(VENV)/.installed
	$(PY) benchmarks/site.py

# Refresh the catalogues from the code, merge in the Wagtail strings that
# Wagtail's own zh_Hans lacks (wagtail_supplement.po), and compile.
ZH := locale/zh_Hans/LC_MESSAGES
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l en -l zh_Hans --ignore=.venv --ignore=var \
	  --ignore=benchmarks --ignore=tests
	msgattrib --no-obsolete -o $(ZH)/django.po $(ZH)/django.po
	msgcat --use-first -o $(ZH)/django.po $(ZH)/django.po $(ZH)/wagtail_supplement.po
	$(PY) manage.py compilemessages -l en -l zh_Hans --ignore=.venv
	rm -f $(ZH)/wagtail_supplement.mo

# Re-resolve requirements.in into the pinned requirements.txt.
lock:
	rm -rf /tmp/kepu-lock && $(PYTHON) -m venv /tmp/kepu-lock
	/tmp/kepu-lock/bin/pip install -q -r requirements.in
	{ echo "# Full lock of requirements.in (regenerate with: make lock)."; \
	  /tmp/kepu-lock/bin/pip freeze; } > requirements.txt

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

system-run:
	@$(call ensure_packages,$(RUN_PACKAGES))

system-test:
	@$(call ensure_packages,$(TEST_PACKAGES))

# benchmarks/screen_swarm.py plays 30,000 screens with wrk.
system-bench:
	@$(call ensure_packages,$(RUN_PACKAGES) wrk)

# Installs the Debian packages that are not installed yet (apt-get update once).
define ensure_packages
missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
if [ -n "$$missing" ]; then \
  echo "installing system packages: $$missing"; \
  $(SUDO) apt-get update -qq && \
  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
fi
endef
