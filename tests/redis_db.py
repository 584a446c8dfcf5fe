"""The Redis database the tests of this process own.

Redis-using modules flush their database, so two test processes
(pytest-xdist) must never share one: process gwN owns database
KEPU_TEST_REDIS_FIRST_DB + N (11 + N unless set; .ci/run gives its two
suites, which run side by side, separate ranges), and modules on one process
run one after another."""

import os


def redis_url() -> str:
    first = int(os.environ.get("KEPU_TEST_REDIS_FIRST_DB", "11"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = first + int(worker.removeprefix("gw"))
    return os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{number}")
