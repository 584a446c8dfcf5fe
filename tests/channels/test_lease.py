"""The placement lease: renewed while its worker lives, so a live worker is
never taken over; run out within one lease when its worker dies, so another
worker delivers, and the target still gets the item once."""

import json
import os
import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.models import Placement
from channels.queue import process_placement, renew_lease
from tests.cms.test_scheduling import start_worker, wait_until
from tests.conftest import SHORT_EPISODE, make_due


def test_a_run_whose_claim_was_taken_again_stands_down(due_placement, tmp_path):
    Placement.objects.filter(pk=due_placement.pk).update(claim_token="later-claim")

    process_placement.call(due_placement.pk, "stale-claim")

    due_placement.refresh_from_db()
    assert due_placement.status == "planned"
    assert not (tmp_path / "drop").exists()


def test_renewing_extends_only_the_holders_lease(due_placement, settings):
    settings.PLACEMENT_LEASE_SECONDS = 60
    Placement.objects.filter(pk=due_placement.pk).update(claim_token="mine")

    assert not renew_lease(due_placement.pk, "someone-else")
    assert renew_lease(due_placement.pk, "mine")

    due_placement.refresh_from_db()
    assert due_placement.claimed_until > timezone.now() + timedelta(seconds=50)


@pytest.fixture
def webhook_placement(make_episode, make_outlet, make_placement, slow_webhook):
    outlet = make_outlet(
        "radio",
        name="合作电台",
        delivery="webhook",
        delivery_target=slow_webhook[0],
        delivery_secret="partner-secret",
    )
    return make_placement(make_episode(3, body=SHORT_EPISODE), outlet)


@pytest.fixture
def worker_processes(tmp_path):
    """start(name, lease_seconds) starts a db_worker; all are stopped after."""
    started = []

    def start(name: str, lease_seconds: float):
        worker = start_worker(
            tmp_path / f"{name}.log",
            PLACEMENT_LEASE_SECONDS=str(lease_seconds),
            OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32",
            MEDIA_ROOT=str(tmp_path / "media"),
            OUTPUTS_ROOT=str(tmp_path / "outputs"),
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.terminate()
    for worker in started:
        worker.wait(timeout=20)


def logs(tmp_path) -> str:
    return "\n".join(path.read_text() for path in tmp_path.glob("*.log"))


def kept_deliveries(receiver) -> list[dict]:
    """What a receiver that drops repeats by Idempotency-Key keeps."""
    kept = {}
    for request in receiver.received:
        kept.setdefault(request["key"], request)
    return list(kept.values())


def delivered(placement) -> bool:
    placement.refresh_from_db()
    return placement.status == "delivered"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_delivery_is_taken_over_within_the_lease(
    webhook_placement, slow_webhook, worker_processes, tmp_path
):
    _, receiver = slow_webhook
    receiver.hold = 60
    make_due(webhook_placement)
    first = worker_processes("first", lease_seconds=6)
    assert wait_until(lambda: receiver.received, seconds=60), logs(tmp_path)

    os.kill(first.pid, signal.SIGKILL)
    worker_processes("second", lease_seconds=6)

    assert wait_until(lambda: delivered(webhook_placement), seconds=60), logs(tmp_path)
    assert len(receiver.received) == 2  # the first one's and the repeat
    [kept] = kept_deliveries(receiver)
    assert kept["key"] == f"placement-{webhook_placement.pk}"
    assert json.loads(kept["body"])["placement"] == webhook_placement.pk
    events = list(webhook_placement.events.values_list("status", flat=True))
    assert events.count("delivered") == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_live_worker_keeps_its_placement_past_the_lease(
    webhook_placement, slow_webhook, worker_processes, tmp_path
):
    _, receiver = slow_webhook
    receiver.hold = 8  # nearly three leases
    worker_processes("one", lease_seconds=3)
    worker_processes("two", lease_seconds=3)
    make_due(webhook_placement)

    assert wait_until(lambda: delivered(webhook_placement), seconds=60), logs(tmp_path)
    assert len(receiver.received) == 1
