"""A worker outlives its database: cut from PostgreSQL for some seconds (by
a proxy it connects through), the same process runs the next task once the
database is back."""

import time

import pytest
from django.db import connection
from django.utils import timezone

from cms.models import WorkerHeartbeat
from tests.cms.test_scheduling import start_worker, wait_until
from tests.conftest import make_due
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"
)


@pytest.fixture
def database_proxy():
    settings = connection.settings_dict
    proxy = TcpProxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    yield proxy
    proxy.close()


def proxied_database_url(proxy: TcpProxy) -> str:
    settings = connection.settings_dict
    return f"postgresql://{settings['USER']}@127.0.0.1:{proxy.port}/{settings['NAME']}"


def ticked_since(moment) -> bool:
    return WorkerHeartbeat.objects.filter(last_tick_at__gt=moment).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_cut_from_the_database_runs_the_next_task_when_it_returns(
    database_proxy, make_episode, folder_outlet, make_placement, tmp_path
):
    placement = make_placement(make_episode(1), folder_outlet)
    log = tmp_path / "worker.log"
    worker = start_worker(
        log,
        DATABASE_URL=proxied_database_url(database_proxy),
        MEDIA_ROOT=str(tmp_path / "media"),
        OUTPUTS_ROOT=str(tmp_path / "outputs"),
    )
    started = timezone.now()
    try:
        assert wait_until(lambda: ticked_since(started), 60), log.read_text()

        database_proxy.cut()
        time.sleep(8)
        assert worker.poll() is None, log.read_text()
        database_proxy.restore()

        make_due(placement)  # a new task for the same process

        def delivered() -> bool:
            placement.refresh_from_db()
            return placement.status == "delivered"

        assert wait_until(delivered, 60), log.read_text()
        assert worker.poll() is None
        assert "database unavailable" in log.read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=20)
