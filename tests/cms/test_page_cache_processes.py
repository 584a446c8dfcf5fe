"""The page cache across processes: gunicorn with two worker processes
serves the site while this test process publishes, on the embedded default
(each process's memory, the fingerprint in the shared database) and with
Redis. Each worker keeps serving what it cached until an event, and shows
the event within seconds (the contract is PAGE_CACHE_FINGERPRINT_SECONDS,
1 s; the deadline here is generous for a loaded machine)."""

import os
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest
import redis

from cms.pages import ArticlePage
from tests.cms.test_scheduling import database_url
from tests.redis_db import redis_url

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = redis_url()
START_SECONDS = 60
CHANGE_SECONDS = 10
READS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_home(port: int) -> str:
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        connection.close()


def reads(port: int) -> list[str]:
    """Several reads, each on a new connection, to reach both workers."""
    return [read_home(port) for _ in range(READS)]


def eventually(condition) -> bool:
    deadline = time.monotonic() + CHANGE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(params=["embedded", "redis"])
def gunicorn(request, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "page-cache-test",
    }
    env.pop("REDIS_URL", None)
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        env["REDIS_URL"] = REDIS_URL
    port = free_port()
    log = tmp_path / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        f"--bind=127.0.0.1:{port}",
        "--workers=2",
        "cms.wsgi:application",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    yield port, process, log
    process.terminate()
    process.wait(timeout=20)
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()


def wait_until_serving(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            read_home(port)
            return
        except OSError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_correction_made_here_shows_in_every_worker_of_another_server(
    make_article, review_and_publish, gunicorn
):
    port, process, log = gunicorn
    article = make_article(title="疫苗是怎样起作用的")
    wait_until_serving(port, process, log)
    assert all("疫苗是怎样起作用的" in page for page in reads(port))

    ArticlePage.objects.filter(pk=article.pk).update(title="悄悄改掉的标题")
    assert any("疫苗是怎样起作用的" in page for page in reads(port)), "not cached"

    article.refresh_from_db()
    article.title = "疫苗是怎样起作用的（更正）"
    review_and_publish(article)
    assert eventually(lambda: all("（更正）" in page for page in reads(port))), (
        log.read_text()
    )
