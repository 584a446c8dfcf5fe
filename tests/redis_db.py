"""The Redis database the tests of this process own.

Redis-using modules flush their database, so two test processes
(pytest-xdist) must never share one: process gwN owns database 11 + N, and
modules on one process run one after another."""

import os

FIRST_DATABASE = 11


def redis_url() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = FIRST_DATABASE + int(worker.removeprefix("gw"))
    return os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{number}")
