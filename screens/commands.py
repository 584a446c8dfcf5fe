"""Remote care: the commands an operator sends screens from the admin (截图,
立即刷新, 清除缓存), one ScreenCommand per screen, and their life:

    pending ─(the player fetches it)→ sent ─(the player answers)→ acknowledged
                                                                 or failed
    pending or sent, not answered within LIFETIME → expired (sweep)

A playlist poll tells the player that commands wait with a response header
(COMMANDS_HEADER), read off the screen's own row, which the token check has
already loaded: a poll costs no query more, and a 304 stays a 304. Only then
does the player fetch its commands. A screenshot is a JPEG the player
uploads, identified by Pillow from its bytes before it is stored; the upload
acknowledges the command. Commands, screenshots and their files are kept
KEEP_DAYS days (sweep, a scheduler job). Only paired screens take commands;
revoking a screen fails those it had not answered."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from io import BytesIO
from uuid import uuid4

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from cms.json_input import BadInput
from screens.models import Screen, ScreenCommand, ScreenGeneration, ScreenGroup

# A screenshot of "now" is worth little an hour later; nor is a reload.
LIFETIME = timedelta(hours=1)
KEEP_DAYS = 7
SWEEP_BATCH = 500  # old commands deleted per tick, files included
COMMANDS_HEADER = "X-Screen-Commands"
SCREENSHOT_LIMIT = 2 * 1024 * 1024
MAX_SCREENSHOT_PIXELS = 4096 * 4096
JPEG_SIGNATURE = b"\xff\xd8\xff"
OPEN = (ScreenCommand.State.PENDING, ScreenCommand.State.SENT)


class CommandRefused(Exception):
    """A command cannot be issued or answered; the message says why, in
    Chinese, and `status` is the API's answer to it."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# Issuing (the admin) ---------------------------------------------------------------


def refusal(screen: Screen) -> str:
    """Why this screen takes no commands, or ""."""
    if screen.revoked_at is not None:
        return _("「%(name)s」已吊销，不能下发命令") % {"name": screen.name}
    if not screen.is_paired:
        return _("「%(name)s」尚未配对，不能下发命令") % {"name": screen.name}
    return ""


def issue(screens: Iterable[Screen], kind: str, user=None) -> list[ScreenCommand]:
    """A pending command for each of `screens` still paired when the rows
    are locked (a concurrent revoke waits, or wins and is skipped)."""
    now = timezone.now()
    with transaction.atomic():
        paired = list(
            Screen.objects.select_for_update()
            .filter(pk__in=[screen.pk for screen in screens])
            .filter(token_hash__isnull=False, revoked_at__isnull=True)
            .values_list("pk", flat=True)
        )
        commands = ScreenCommand.objects.bulk_create(
            ScreenCommand(
                screen_id=pk,
                kind=kind,
                issued_by=user,
                issued_at=now,
                expires_at=now + LIFETIME,
            )
            for pk in paired
        )
        Screen.objects.filter(pk__in=paired).update(commands_waiting=True)
        ScreenGeneration.bump()
    return commands


def issue_to_screen(screen: Screen, kind: str, user=None) -> ScreenCommand:
    if problem := refusal(screen):
        raise CommandRefused(problem)
    issued = issue([screen], kind, user)
    if not issued:  # revoked meanwhile
        screen.refresh_from_db()
        raise CommandRefused(refusal(screen))
    return issued[0]


def issue_to_group(
    group: ScreenGroup, kind: str, user=None
) -> tuple[list[ScreenCommand], int]:
    """Commands to every paired screen in the group and below it, and how
    many screens there were that take none."""
    screens = list(Screen.objects.filter(group__in=group.descendants()))
    issued = issue(screens, kind, user)
    if not issued:
        message = _("「%(name)s」及其下级分组没有已配对的大屏，未下发命令")
        raise CommandRefused(message % {"name": group.name})
    return issued, len(screens) - len(issued)


# The player's side (the screens' API) ---------------------------------------------


def announce(response: HttpResponse, commands_waiting: bool) -> HttpResponse:
    """Mark a playlist answer (a 304 too) when commands wait."""
    if commands_waiting:
        response[COMMANDS_HEADER] = "1"
    return response


def fetch(screen: Screen) -> list[ScreenCommand]:
    """The screen's pending commands, now sent. The flag is cleared before
    they are read: a command issued meanwhile either is read here or sets
    the flag again after this transaction (it waits for the row's lock)."""
    now = timezone.now()
    with transaction.atomic():
        if Screen.objects.filter(pk=screen.pk, commands_waiting=True).update(
            commands_waiting=False
        ):
            ScreenGeneration.bump()
        due = list(
            ScreenCommand.objects.select_for_update()
            .filter(screen=screen, state=ScreenCommand.State.PENDING)
            .filter(expires_at__gt=now)
            .order_by("issued_at", "pk")
        )
        ScreenCommand.objects.filter(pk__in=[c.pk for c in due]).update(
            state=ScreenCommand.State.SENT, sent_at=now
        )
    return due


def sent_command(screen: Screen, command_id: int) -> ScreenCommand:
    """The screen's own command, waiting for its answer."""
    command = ScreenCommand.objects.filter(pk=command_id, screen=screen).first()
    if command is None:
        message = _("本屏没有编号为 %(id)d 的命令") % {"id": command_id}
        raise CommandRefused(message, 404)
    if command.state != ScreenCommand.State.SENT:
        message = _("命令 %(id)d 的状态为「%(state)s」，不再接受回复")
        state = command.get_state_display()
        raise CommandRefused(message % {"id": command_id, "state": state}, 409)
    return command


def finish(command: ScreenCommand, **changes) -> None:
    """Answer a sent command, unless it expired (or was failed by a revoke)
    since it was read."""
    now = timezone.now()
    answered = ScreenCommand.objects.filter(
        pk=command.pk, state=ScreenCommand.State.SENT
    ).update(finished_at=now, **changes)
    if not answered:
        raise CommandRefused(_("命令 %(id)d 已过期") % {"id": command.pk}, 409)
    for name, value in {"finished_at": now, **changes}.items():
        setattr(command, name, value)


def acknowledge(screen: Screen, command_id: int, error: str) -> ScreenCommand:
    """The player did the command (error "") or could not (error says why).
    A screenshot is acknowledged by its upload, or failed here."""
    command = sent_command(screen, command_id)
    if not error and command.kind == ScreenCommand.Kind.SCREENSHOT:
        raise CommandRefused(_("截图命令需上传截图，或回复失败原因"))
    state = ScreenCommand.State.FAILED if error else ScreenCommand.State.ACKNOWLEDGED
    finish(command, state=state, error=error)
    return command


def identify_jpeg(data: bytes) -> None:
    """Refuse anything but a whole, decodable JPEG of sensible size, told
    from its bytes, before anything else opens it."""
    not_jpeg = BadInput(_("截图不是 JPEG 图片"))
    if not data.startswith(JPEG_SIGNATURE):
        raise not_jpeg
    try:
        with Image.open(BytesIO(data), formats=["JPEG"]) as image:
            width, height = image.size
            if width * height > MAX_SCREENSHOT_PIXELS:
                message = _("截图尺寸 %(width)d×%(height)d 过大")
                raise BadInput(message % {"width": width, "height": height})
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise not_jpeg from None
    except OSError:  # truncated or corrupt data
        raise BadInput(_("截图不是完整的 JPEG 图片")) from None


def attach_screenshot(screen: Screen, command_id: int, data: bytes) -> ScreenCommand:
    command = sent_command(screen, command_id)
    if command.kind != ScreenCommand.Kind.SCREENSHOT:
        raise CommandRefused(_("命令 %(id)d 不是截图命令") % {"id": command_id})
    identify_jpeg(data)
    name = default_storage.save(
        f"big-screen/screenshots/{screen.pk}/{command.pk}-{uuid4().hex}.jpg",
        ContentFile(data),
    )
    try:
        finish(command, state=ScreenCommand.State.ACKNOWLEDGED, screenshot=name)
    except CommandRefused:
        default_storage.delete(name)
        raise
    return command


# Upkeep ---------------------------------------------------------------------------


def screen_revoked(screen: Screen) -> None:
    """A revoked screen answers nothing: its open commands fail."""
    ScreenCommand.objects.filter(screen=screen, state__in=OPEN).update(
        state=ScreenCommand.State.FAILED,
        finished_at=timezone.now(),
        error=_("大屏已吊销"),
    )


def sweep(now: datetime) -> None:
    """Expire the commands not answered in time, and delete those issued
    more than KEEP_DAYS days ago, their screenshots first (a scheduler job:
    harmless when several workers run it at once)."""
    ScreenCommand.objects.filter(state__in=OPEN, expires_at__lte=now).update(
        state=ScreenCommand.State.EXPIRED, finished_at=now
    )
    old = ScreenCommand.objects.filter(issued_at__lt=now - timedelta(days=KEEP_DAYS))
    rows = list(old.values_list("pk", "screenshot")[:SWEEP_BATCH])
    for _pk, name in rows:
        if name:
            default_storage.delete(name)
    ScreenCommand.objects.filter(pk__in=[pk for pk, _name in rows]).delete()
