from datetime import timedelta

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


def test_healthy_when_a_worker_ticked_recently(client, db):
    beat(seconds_ago=5)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["worker"]["workers"] == 1
    assert body["scheduler"]["last_tick"] is not None


def test_down_with_503_when_no_worker_ever_ran(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"]["ok"]
    assert not body["worker"]["ok"] and not body["scheduler"]["ok"]


def test_down_when_the_last_tick_is_stale(client, db):
    beat(seconds_ago=600)
    body = client.get("/healthz").json()
    assert not body["scheduler"]["ok"]
    assert body["scheduler"]["last_tick"] is not None


def test_a_scheduler_alone_does_not_count_as_a_task_worker(client, db):
    beat(seconds_ago=5, runs_tasks=False)
    body = client.get("/healthz").json()
    assert body["scheduler"]["ok"] and not body["worker"]["ok"]


def test_health_is_never_cached(client, db):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]
