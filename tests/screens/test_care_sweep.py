"""The remote-care sweep (a scheduler job): commands not answered within
their lifetime expire, and commands older than KEEP_DAYS days leave with
their screenshot files."""

from datetime import timedelta
from io import BytesIO

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from cms.scheduling import tick
from screens import commands
from screens.models import ScreenCommand


def jpeg() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (64, 36), "#884400").save(buffer, "JPEG")
    return buffer.getvalue()


def shot(screen, issued_at) -> ScreenCommand:
    """An acknowledged screenshot command issued at `issued_at`."""
    (command,) = commands.issue([screen], ScreenCommand.Kind.SCREENSHOT)
    commands.fetch(screen)
    commands.attach_screenshot(screen, command.pk, jpeg())
    ScreenCommand.objects.filter(pk=command.pk).update(issued_at=issued_at)
    command.refresh_from_db()
    return command


def test_the_sweep_is_a_scheduler_job():
    assert "screens.commands.sweep" in settings.SCHEDULER_JOBS


def test_commands_not_answered_in_time_expire_and_answered_ones_stay(paired_screen):
    screen = paired_screen.screen
    sent, done = (
        commands.issue_to_screen(screen, k) for k in ("reload", "clear_cache")
    )
    commands.fetch(screen)
    commands.acknowledge(screen, done.pk, "")
    pending = commands.issue_to_screen(screen, "screenshot")
    deadline = sent.expires_at
    later = deadline + timedelta(minutes=1)
    ScreenCommand.objects.filter(pk=pending.pk).update(expires_at=later)

    commands.sweep(deadline)
    states = dict(ScreenCommand.objects.values_list("pk", "state"))
    assert states == {
        sent.pk: "expired",
        done.pk: "acknowledged",
        pending.pk: "pending",
    }
    assert ScreenCommand.objects.get(pk=sent.pk).finished_at == deadline
    commands.sweep(later)
    assert ScreenCommand.objects.get(pk=pending.pk).state == "expired"


def test_screenshots_are_kept_seven_days_then_deleted_with_their_files(
    paired_screen, screens_media
):
    now = timezone.now()
    old = shot(paired_screen.screen, now - timedelta(days=7, minutes=1))
    recent = shot(paired_screen.screen, now - timedelta(days=6, hours=23))
    assert default_storage.exists(old.screenshot.name)

    tick("test-worker", now)
    assert list(ScreenCommand.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not default_storage.exists(old.screenshot.name)
    assert default_storage.exists(recent.screenshot.name)
    files = list((screens_media / "big-screen" / "screenshots").rglob("*.jpg"))
    assert [path.name for path in files] == [recent.screenshot.name.rsplit("/")[-1]]
