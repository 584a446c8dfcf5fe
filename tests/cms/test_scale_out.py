"""Scale-out: with REDIS_URL set, tasks go to Redis and an RQ worker runs them."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from wagtail.models import Page

from tests.cms.test_scheduling import database_url, wait_until
from tests.redis_db import redis_url
from tests.tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = redis_url()


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": database_url(),
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "scale-out-test",
    }


def manage(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def empty_queue():
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_rq_worker_runs_the_index_update_that_an_edit_enqueues(
    make_article, empty_queue
):
    page = make_article(title="地震知识")
    backend = manage(
        "shell",
        "-c",
        "from django_tasks import task_backends; "
        "print(type(task_backends['default']).__name__)",
    )
    assert backend.stdout.split()[-1] == "RQBackend"

    rename = (
        "from cms.pages import ArticlePage; "
        f"p = ArticlePage.objects.get(pk={page.pk}); "
        "p.title = '地震预警系统'; p.save()"
    )
    manage("shell", "-c", rename)
    assert empty_queue.llen("rq:queue:default") > 0
    assert not Page.objects.live().search("预警").count()

    worker = manage(
        "rqworker", "default", "--burst", "--job-class", "django_tasks_rq.backend.Job"
    )
    assert empty_queue.llen("rq:queue:default") == 0
    found = [p.title for p in Page.objects.live().search("预警")]
    assert found == ["地震预警系统"], worker.stdout + worker.stderr


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_health_counts_rq_workers_when_tasks_go_to_redis(empty_queue):
    status = manage(
        "shell", "-c", "from cms.health import worker_status as w; print(w())"
    )
    assert status.stdout.strip().endswith(
        "{'ok': False, 'backend': 'RQBackend', 'workers': 0, 'queue_lag_seconds': 0.0}"
    )


@pytest.fixture
def redis_proxy(empty_queue):
    address = empty_queue.connection_pool.connection_kwargs
    proxy = TcpProxy(address["host"], address["port"])
    yield proxy
    proxy.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_rq_worker_cut_from_redis_runs_the_next_task_when_it_returns(
    make_article, empty_queue, redis_proxy, tmp_path
):
    page = make_article(title="地震知识")
    database = empty_queue.connection_pool.connection_kwargs["db"]
    proxied = f"redis://127.0.0.1:{redis_proxy.port}/{database}"
    log = tmp_path / "rqworker.log"
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "default"],
        cwd=ROOT,
        env={**environment(), "REDIS_URL": proxied},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_until(lambda: "Listening on" in log.read_text(), 60)
        redis_proxy.cut()
        time.sleep(8)
        assert worker.poll() is None, log.read_text()
        redis_proxy.restore()

        rename = (
            "from cms.pages import ArticlePage; "
            f"p = ArticlePage.objects.get(pk={page.pk}); "
            "p.title = '地震预警系统'; p.save()"
        )
        manage("shell", "-c", rename)

        def indexed() -> bool:
            return Page.objects.live().search("预警").count() == 1

        assert wait_until(indexed, 60), log.read_text()
        assert worker.poll() is None
        worker.terminate()
        worker.wait(timeout=20)  # and it still stops when told to
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
