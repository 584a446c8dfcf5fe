"""Test settings: tasks run inline, fast password hashing, media in a temp folder."""

import os
import tempfile
from pathlib import Path

from .base import *

DEBUG = False
SECRET_KEY = "test-only-secret-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="kepu-test-media-"))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="kepu-test-static-"))
STORAGES = {
    "default": {"BACKEND": "cms.storage.FileSystemStorage"},
    "outputs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": MEDIA_ROOT / "outputs",
            "base_url": "/outputs-not-served/",
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The demo's rendered media (demo.media), shared by the processes of one test
# run (pytest-xdist's workers are children of the run's first process), so
# each file is made once a run; tests/conftest.py removes it at the end.
_RUN = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
DEMO_RENDER_CACHE = Path(tempfile.gettempdir()) / f"kepu-demo-render-{_RUN}"
PUBLIC_BASE_URL = WAGTAILADMIN_BASE_URL = WAGTAILAPI_BASE_URL = "http://testserver"
# Pull logs are written by the request that fills the buffer (or by the test)
# only: a timer's flush could land in a later test's database.
PARTNERS_PULL_LOG_BACKGROUND_FLUSH = False
REACH_BUFFER_BACKGROUND_FLUSH = False
# Written only when a test flushes them (tests/reach): a page read of one
# test must not be written by another's request.
REACH_BUFFER_BATCH = 10**9
REACH_BUFFER_SECONDS = 10**9
# Every request reads what feeds depend on (one test keeps the 1 s memory).
FEEDS_FINGERPRINT_SECONDS = 0
PAGE_CACHE_FINGERPRINT_SECONDS = 0
PARTNERS_KEY_SECONDS = 0
BIG_SCREEN_RELEASE_SECONDS = 0
BIG_SCREEN_FAST_PATH_SECONDS = 0
# Each heartbeat is written by its own request (a timer's write could land
# in a later test's database).
BIG_SCREEN_HEARTBEAT_BATCH = 1
BIG_SCREEN_HEARTBEAT_BACKGROUND_FLUSH = False

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that worker processes started by tests share it.
    test_db_dir = Path(tempfile.mkdtemp(prefix="kepu-test-db-"))
    DATABASES["default"]["TEST"] = {"NAME": str(test_db_dir / "test.sqlite3")}
