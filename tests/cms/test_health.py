import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.utils import timezone

from cms.models import WorkerHeartbeat


def beat(seconds_ago: float, runs_tasks: bool = True) -> None:
    at = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(
        worker_id=f"host:{seconds_ago}",
        started_at=at,
        last_tick_at=at,
        runs_tasks=runs_tasks,
    )


@pytest.fixture
def unreachable_database(monkeypatch):
    """The health check's connection: PostgreSQL at a port nobody listens on."""
    settings_dict = {
        **connection.settings_dict,
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "kepu",
        "USER": "kepu",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": "1",
        "OPTIONS": {"connect_timeout": 5},
        "CONN_MAX_AGE": 0,
    }
    down = DatabaseWrapper(settings_dict, alias="unreachable")
    monkeypatch.setattr("cms.health.connection", down)
    yield down
    down.close()


VERDICTS_ONLY = {
    "status": "down",
    "database": {"ok": False},
    "worker": {"ok": False},
    "scheduler": {"ok": False},
}


def test_healthy_when_a_worker_ticked_recently(admin_client):
    beat(seconds_ago=5)
    response = admin_client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["worker"]["workers"] == 1
    assert body["scheduler"]["last_tick"] is not None


def test_anonymous_callers_get_only_the_verdicts(client, db):
    beat(seconds_ago=5)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True},
        "worker": {"ok": True},
        "scheduler": {"ok": True},
    }


def test_down_with_503_when_no_worker_ever_ran(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"]["ok"]
    assert not body["worker"]["ok"] and not body["scheduler"]["ok"]


def test_down_when_the_last_tick_is_stale(admin_client):
    beat(seconds_ago=600)
    body = admin_client.get("/healthz").json()
    assert not body["scheduler"]["ok"]
    assert body["scheduler"]["last_tick"] is not None


def test_a_scheduler_alone_does_not_count_as_a_task_worker(client, db):
    beat(seconds_ago=5, runs_tasks=False)
    body = client.get("/healthz").json()
    assert body["scheduler"]["ok"] and not body["worker"]["ok"]


def test_health_is_never_cached(client, db):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_a_database_outage_shows_anonymous_callers_no_host_or_error(
    client, db, unreachable_database
):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == VERDICTS_ONLY
    text = response.content.decode()
    assert "127.0.0.1" not in text and "error" not in text


def test_a_signed_in_user_without_admin_access_sees_no_details(
    client, editor, unreachable_database
):
    client.force_login(editor)
    response = client.get("/healthz")
    assert response.json() == VERDICTS_ONLY


def test_admin_users_see_the_database_error(admin_client, unreachable_database):
    response = admin_client.get("/healthz")
    assert response.status_code == 503
    error = response.json()["database"]["error"]
    assert '"127.0.0.1", port 1 failed' in error


def test_the_database_error_is_logged(client, db, unreachable_database, caplog):
    with caplog.at_level(logging.ERROR, logger="cms.health"):
        client.get("/healthz")
    (record,) = [r for r in caplog.records if r.name == "cms.health"]
    assert '"127.0.0.1", port 1 failed' in record.getMessage()


@pytest.fixture
def waiting_task(db, settings):
    """A task on the database backend, ready for ten minutes, none running."""
    from django_tasks_db.models import DBTaskResult

    from tests.cms.tasks_for_tests import add

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    result = add.enqueue(1, 2)
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    return result


@pytest.fixture
def failed_placement(make_article, folder_outlet, make_placement):
    from channels.models import Placement

    placement = make_placement(make_article(), folder_outlet)
    Placement.objects.filter(pk=placement.pk).update(status=Placement.Status.FAILED)
    return placement


def test_admin_users_see_the_queue_lag_and_the_failed_placements(
    admin_client, waiting_task, failed_placement
):
    beat(seconds_ago=5)
    body = admin_client.get("/healthz").json()
    assert 599 <= body["worker"]["queue_lag_seconds"] < 900
    assert body["failed_placements"] == 1


def test_the_queue_lag_is_zero_when_nothing_waits(admin_client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    beat(seconds_ago=5)
    body = admin_client.get("/healthz").json()
    assert body["worker"]["queue_lag_seconds"] == 0
    assert body["failed_placements"] == 0


def test_anonymous_callers_see_neither_lag_nor_failures(
    client, waiting_task, failed_placement
):
    beat(seconds_ago=5)
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": {"ok": True},
        "worker": {"ok": True},
        "scheduler": {"ok": True},
    }
