"""A delivery repeated (its worker died mid-way, the lease ran out and another
worker took the placement up) reaches its target at most once."""

import socket

import pytest
from django.utils import timezone

from channels.delivery import deliver, stable_message_id
from channels.models import SentEmail
from channels.queue import enqueue_due_placements
from tests.conftest import SHORT_EPISODE, make_due


def deliveries(mailoutbox) -> list:
    """The packages sent, not the review workflow's notifications."""
    return [m for m in mailoutbox if m.subject.startswith("【科普稿件】")]


def delivered_again(placement) -> str:
    placement.refresh_from_db()
    return deliver(placement, list(placement.outputs.all()))


def files_by_identity(folder) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_a_repeated_folder_delivery_leaves_the_finished_files_alone(
    due_placement, tmp_path
):
    enqueue_due_placements(timezone.now())
    [folder] = (tmp_path / "drop").iterdir()
    before = files_by_identity(folder)

    delivered_again(due_placement)

    assert files_by_identity(folder) == before


def test_a_folder_file_with_other_content_is_replaced_whole(due_placement, tmp_path):
    enqueue_due_placements(timezone.now())
    [folder] = (tmp_path / "drop").iterdir()
    script = next(folder.glob("*.script.txt"))
    script.write_text("写到一半")

    delivered_again(due_placement)

    assert "台风来临前" in script.read_text()
    assert not list(folder.glob(".part-*"))


@pytest.fixture
def email_placement(make_episode, make_outlet, make_placement):
    outlet = make_outlet(
        "radio",
        name="邮件电台",
        delivery="email",
        delivery_target="desk@example.org",
    )
    placement = make_placement(make_episode(4, body=SHORT_EPISODE), outlet)
    make_due(placement)
    return placement


def test_an_email_carries_a_message_id_stable_across_repeats(
    email_placement, mailoutbox
):
    enqueue_due_placements(timezone.now())
    [message] = deliveries(mailoutbox)
    expected = stable_message_id(
        f"placement-{email_placement.pk}.outlet-{email_placement.outlet_id}"
    )
    assert message.message()["Message-ID"] == expected
    assert SentEmail.objects.filter(message_id=expected).exists()


def test_a_repeated_email_delivery_is_not_sent_again(email_placement, mailoutbox):
    enqueue_due_placements(timezone.now())

    receipt = delivered_again(email_placement)

    assert len(deliveries(mailoutbox)) == 1
    assert "不再重发" in receipt


def test_an_email_the_mail_server_refused_is_sent_on_the_retry(
    email_placement, mailoutbox, settings
):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]  # nobody listens once it is closed
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    enqueue_due_placements(timezone.now())
    email_placement.refresh_from_db()
    assert email_placement.status == "rendered"
    assert "邮件发送失败" in email_placement.error
    assert not SentEmail.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivered_again(email_placement)

    assert len(deliveries(mailoutbox)) == 1
