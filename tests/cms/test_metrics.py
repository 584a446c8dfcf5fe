"""GET /metrics: off without METRICS_TOKEN, refused without the right one,
and with it request counts and latency, tasks by state and the queue lag,
placements by status and screens paired and online."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from channels.models import Placement
from tests.cms.tasks_for_tests import add

TOKEN = "metrics-test-token"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def scrape(client, settings, db):
    settings.METRICS_TOKEN = TOKEN

    def read() -> dict[tuple, float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return read


def test_without_a_configured_token_there_is_no_metrics_address(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer x").status_code == 404


def test_a_missing_or_wrong_token_is_refused(client, db, settings):
    settings.METRICS_TOKEN = TOKEN
    missing = client.get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"]
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-test-tokeN")
    assert wrong.status_code == 403
    assert "kepu_" not in missing.content.decode() + wrong.content.decode()


def test_requests_are_counted_by_view_and_status_with_their_latency(client, scrape):
    before = scrape()
    for _ in range(3):
        client.get("/search/", {"q": "台风"})
    client.get("/no-such-page/")
    after = scrape()

    def grew(name: str, **labels) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    ok = {"method": "GET", "view": "search", "status": "200"}
    assert grew("kepu_http_requests_total", **ok) == 3
    assert (
        grew("kepu_http_request_duration_seconds_count", method="GET", view="search")
        == 3
    )
    missing = {"method": "GET", "view": "wagtail_serve", "status": "404"}
    assert grew("kepu_http_requests_total", **missing) == 1


def test_tasks_by_state_and_the_queue_lag(scrape, settings):
    settings.TASKS = DATABASE_TASKS
    add.enqueue(1, 2)
    waiting = add.enqueue(3, 4)
    DBTaskResult.objects.filter(pk=waiting.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    DBTaskResult.objects.exclude(pk=waiting.id).update(status="SUCCESSFUL")

    metrics = scrape()
    assert metrics[("kepu_tasks", (("state", "READY"),))] == 1
    assert metrics[("kepu_tasks", (("state", "SUCCESSFUL"),))] == 1
    assert metrics[("kepu_tasks", (("state", "FAILED"),))] == 0
    assert 599 <= metrics[("kepu_task_queue_lag_seconds", ())] < 900


def test_placements_by_status_and_screens_paired_and_online(
    scrape,
    make_article,
    folder_outlet,
    make_placement,
    paired_screen,
    pair_screen,
    screen_tree,
):
    failed = make_placement(make_article(), folder_outlet)
    make_placement(make_article(title="第二篇"), folder_outlet)
    Placement.objects.filter(pk=failed.pk).update(status=Placement.Status.FAILED)
    quiet = pair_screen(screen_tree.city, name="沉默的大屏").screen
    type(quiet).objects.filter(pk=quiet.pk).update(
        last_seen_at=timezone.now() - timedelta(hours=1)
    )
    type(quiet).objects.filter(pk=paired_screen.screen.pk).update(
        last_seen_at=timezone.now()
    )

    metrics = scrape()
    assert metrics[("kepu_placements", (("status", "failed"),))] == 1
    assert metrics[("kepu_placements", (("status", "planned"),))] == 1
    assert metrics[("kepu_placements", (("status", "delivered"),))] == 0
    assert metrics[("kepu_screens_paired", ())] == 2
    assert metrics[("kepu_screens_online", ())] == 1
