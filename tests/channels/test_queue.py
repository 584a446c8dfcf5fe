"""The publish queue: due placements are rendered and delivered once, failed
deliveries are retried with back-off, refused items are never delivered."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from channels.models import Placement
from channels.queue import MAX_ATTEMPTS, enqueue_due_placements, process_placement
from tests.conftest import SHORT_EPISODE, make_due


def statuses(placement: Placement) -> list[str]:
    return list(placement.events.values_list("status", flat=True))


def test_a_due_placement_is_rendered_and_delivered_to_the_folder(
    due_placement, tmp_path
):
    assert enqueue_due_placements(timezone.now()) == 1
    due_placement.refresh_from_db()
    assert due_placement.status == "delivered"
    assert statuses(due_placement) == ["checked", "rendered", "delivered"]
    [folder] = (tmp_path / "drop").iterdir()
    names = sorted(path.name.split(".", 1)[1] for path in folder.iterdir())
    assert names == ["cues.csv", "script.txt"]
    script = next(folder.glob("*.script.txt")).read_text()
    assert "台风来临前" in script and "[00:00]" in script


def test_a_placement_is_delivered_once_however_often_it_is_processed(due_placement):
    enqueue_due_placements(timezone.now())
    process_placement.call(due_placement.pk)
    assert enqueue_due_placements(timezone.now() + timedelta(hours=1)) == 0
    assert statuses(due_placement).count("delivered") == 1


def test_a_claimed_placement_is_not_claimed_by_a_second_worker(due_placement):
    Placement.objects.filter(pk=due_placement.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=5)
    )
    assert enqueue_due_placements(timezone.now()) == 0
    assert enqueue_due_placements(timezone.now() + timedelta(minutes=6)) == 1


def test_a_future_placement_waits(make_episode, folder_outlet, make_placement):
    make_placement(make_episode(1, body=SHORT_EPISODE), folder_outlet)
    assert enqueue_due_placements(timezone.now()) == 0


def test_an_item_over_its_slot_fails_with_the_reason_and_nothing_is_delivered(
    make_episode, folder_outlet, make_placement, tmp_path
):
    long_body = [("paragraph", f"<p>{'科学' * 900}</p>")]
    placement = make_placement(make_episode(2, body=long_body), folder_outlet)
    make_due(placement)
    enqueue_due_placements(timezone.now())
    placement.refresh_from_db()
    assert placement.status == "failed"
    assert "超出 300 秒的时段" in placement.error
    assert not (tmp_path / "drop").exists()


def test_an_item_unpublished_before_its_time_is_not_delivered(due_placement, tmp_path):
    due_placement.page.specific.unpublish()
    enqueue_due_placements(timezone.now())
    due_placement.refresh_from_db()
    assert due_placement.status == "planned"
    assert due_placement.attempts == 1 and "尚未上线" in due_placement.error
    assert not (tmp_path / "drop").exists()


class Receiver(BaseHTTPRequestHandler):
    """A partner's webhook endpoint that fails the first `failures` calls."""

    failures = 0
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = 500 if len(type(self).received) <= type(self).failures else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


class Redirector(BaseHTTPRequestHandler):
    """An endpoint that answers every POST with a redirect elsewhere."""

    location = ""

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(302)
        self.send_header("Location", type(self).location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook_server(settings):
    """The partner's endpoint, allow-listed as an intranet target would be."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    Receiver.received = []
    Receiver.failures = 0
    with serving(Receiver) as url:
        yield url, Receiver


@pytest.fixture
def webhook_placement(make_episode, make_outlet, make_placement, webhook_server):
    url, _ = webhook_server
    outlet = make_outlet(
        "radio",
        name="合作电台",
        delivery="webhook",
        delivery_target=url,
        delivery_secret="partner-secret",
    )
    placement = make_placement(make_episode(3, body=SHORT_EPISODE), outlet)
    make_due(placement)
    return placement


def test_webhook_is_signed_with_hmac_sha256(webhook_placement, webhook_server):
    _, receiver = webhook_server
    enqueue_due_placements(timezone.now())
    webhook_placement.refresh_from_db()
    assert webhook_placement.status == "delivered"
    [(headers, body)] = receiver.received
    expected = hmac.new(b"partner-secret", body, hashlib.sha256).hexdigest()
    assert headers["X-Kepu-Signature"] == f"sha256={expected}"
    assert headers["Idempotency-Key"] == f"placement-{webhook_placement.pk}"
    payload = json.loads(body)
    assert payload["item"]["title"] == webhook_placement.page.title
    assert {f["name"].rsplit(".", 2)[-2] for f in payload["files"]} >= {
        "script",
        "cues",
    }


def test_a_failing_webhook_is_retried_with_back_off_then_delivered(
    webhook_placement, webhook_server
):
    _, receiver = webhook_server
    receiver.failures = 2
    for attempt in (1, 2):
        enqueue_due_placements(timezone.now())
        webhook_placement.refresh_from_db()
        assert webhook_placement.status == "rendered"
        assert webhook_placement.attempts == attempt
        assert "HTTP 500" in webhook_placement.error
        wait = webhook_placement.next_attempt_at - timezone.now()
        assert timedelta(minutes=2 ** (attempt - 1)) - timedelta(seconds=5) < wait
        assert enqueue_due_placements(timezone.now()) == 0  # backing off
        make_due(webhook_placement)
    enqueue_due_placements(timezone.now())
    webhook_placement.refresh_from_db()
    assert webhook_placement.status == "delivered"
    assert len(receiver.received) == 3
    assert statuses(webhook_placement).count("rendered") == 1  # rendered once


def test_a_webhook_that_keeps_failing_ends_failed_with_the_reason(
    webhook_placement, webhook_server
):
    _, receiver = webhook_server
    receiver.failures = 99
    for _ in range(MAX_ATTEMPTS):
        make_due(webhook_placement)
        enqueue_due_placements(timezone.now())
    webhook_placement.refresh_from_db()
    assert webhook_placement.status == "failed"
    assert f"已重试 {MAX_ATTEMPTS} 次" in webhook_placement.error


def test_an_unreachable_webhook_does_not_block_other_deliveries(
    webhook_placement, due_placement
):
    webhook_placement.outlet.delivery_target = "http://127.0.0.1:9/closed"
    webhook_placement.outlet.save()
    enqueue_due_placements(timezone.now())
    due_placement.refresh_from_db()
    webhook_placement.refresh_from_db()
    assert due_placement.status == "delivered"
    assert webhook_placement.status == "rendered" and webhook_placement.attempts == 1


def test_a_webhook_answering_with_a_redirect_is_not_delivered(
    webhook_placement, webhook_server
):
    receiver_url, receiver = webhook_server
    Redirector.location = receiver_url
    with serving(Redirector) as redirecting_url:
        webhook_placement.outlet.delivery_target = redirecting_url
        webhook_placement.outlet.save()
        enqueue_due_placements(timezone.now())
    webhook_placement.refresh_from_db()
    assert webhook_placement.status == "rendered" and webhook_placement.attempts == 1
    assert "重定向（HTTP 302）" in webhook_placement.error
    assert receiver.received == []


def test_a_webhook_on_an_internal_address_is_refused_without_the_allow_list(
    webhook_placement, webhook_server, settings
):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    _, receiver = webhook_server
    enqueue_due_placements(timezone.now())
    webhook_placement.refresh_from_db()
    assert webhook_placement.status == "rendered"
    assert "不允许访问" in webhook_placement.error
    assert "127.0.0.1" not in webhook_placement.error
    assert receiver.received == []


def test_an_email_outlet_gets_the_package_as_attachments(
    make_episode, make_outlet, make_placement, mailoutbox
):
    outlet = make_outlet(
        "radio",
        name="邮件电台",
        delivery="email",
        delivery_target="desk@example.org, editor@example.org",
    )
    placement = make_placement(make_episode(4, body=SHORT_EPISODE), outlet)
    make_due(placement)
    enqueue_due_placements(timezone.now())
    placement.refresh_from_db()
    assert placement.status == "delivered"
    [message] = [m for m in mailoutbox if m.subject.startswith("【科普稿件】")]
    assert message.to == ["desk@example.org", "editor@example.org"]
    assert message.subject == f"【科普稿件】{placement.page.title}"
    names = sorted(name.split(".", 1)[1] for name, _, _ in message.attachments)
    assert names == ["cues.csv", "script.txt"]
