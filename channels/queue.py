"""The publish queue: placements whose time has come are checked, rendered
and delivered by the background worker, once each, with retries.

The scheduler tick (cms.scheduling) calls enqueue_due_placements(). A due
placement is claimed for a short lease (PLACEMENT_LEASE_SECONDS) under a fresh
claim token in its own transaction (SKIP LOCKED on PostgreSQL, an exclusive
write on SQLite) and handed to the process_placement task with that token.
The task renews the lease every third of it while it runs, so a live worker
is never taken over, and a worker that dies lets the lease run out within one
lease: the placement is claimed again under a new token, and a task still
holding the old token (one that waited in a queue too long) does nothing.
A repeat after a death mid-delivery reaches the target at most once: each
delivery method carries an idempotency key (channels.delivery).
"""

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DatabaseError, connections
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_tasks import task
from django_tasks_db.utils import exclusive_transaction

from channels.base import Package, blocking
from channels.delivery import DeliveryError, deliver
from channels.models import OutputFile, Placement
from cms.files import FileNotApproved, with_approved_files
from cms.pages import visible_pages

logger = logging.getLogger(__name__)

RETRY_BASE = timedelta(minutes=1)
MAX_ATTEMPTS = 5
OPEN = (Placement.Status.PLANNED, Placement.Status.CHECKED, Placement.Status.RENDERED)


class NotReady(Exception):
    """The item cannot go out yet (not live); try again later."""


class Refused(Exception):
    """The item can never go out as it is; the editor must act."""


def due_placements(now: datetime):
    return Placement.objects.filter(
        status__in=OPEN,
        scheduled_at__lte=now,
    ).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
    )


def enqueue_due_placements(now: datetime) -> int:
    claimed = 0
    for placement_id in list(due_placements(now).values_list("pk", flat=True)):
        with exclusive_transaction():
            placement = (
                due_placements(now)
                .select_for_update(skip_locked=True)
                .filter(pk=placement_id)
                .first()
            )
            if placement is None:
                continue  # another worker claimed it
            placement.claimed_until = now + lease()
            placement.claim_token = secrets.token_hex(16)
            placement.save(update_fields=["claimed_until", "claim_token"])
        # after the claim is committed
        process_placement.enqueue(placement_id, placement.claim_token)
        claimed += 1
    return claimed


def lease() -> timedelta:
    return timedelta(seconds=settings.PLACEMENT_LEASE_SECONDS)


def renew_lease(placement_id: int, claim: str) -> bool:
    """Extend the lease if this claim still holds it ("" renews any)."""
    placements = Placement.objects.filter(pk=placement_id)
    if claim:
        placements = placements.filter(claim_token=claim)
    return bool(placements.update(claimed_until=timezone.now() + lease()))


def keep_renewing(placement_id: int, claim: str, done: threading.Event) -> None:
    try:
        while not done.wait(lease().total_seconds() / 3):
            try:
                if not renew_lease(placement_id, claim):
                    logger.warning("placement %s: lease lost", placement_id)
                    return
            except DatabaseError as error:
                logger.warning(
                    "placement %s: lease not renewed: %s", placement_id, error
                )
    finally:
        connections.close_all()  # this thread's own


@contextmanager
def lease_renewed(placement_id: int, claim: str) -> Iterator[None]:
    done = threading.Event()
    renewer = threading.Thread(
        target=keep_renewing, args=(placement_id, claim, done), daemon=True
    )
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()


@task()
def process_placement(placement_id: int, claim: str = "") -> str:
    """Render and deliver the placement under `claim` (the token its lease
    was claimed with; "" when called by hand)."""
    placement = Placement.objects.select_related("outlet", "page", "advisory").get(
        pk=placement_id
    )
    if placement.status not in OPEN:
        return placement.status
    if claim and not renew_lease(placement_id, claim):
        logger.info(
            "placement %s: claimed again since; this run stands down", placement_id
        )
        return placement.status
    with lease_renewed(placement_id, claim):
        attempt(placement)
    placement.claimed_until = None
    placement.save()
    return placement.status


def attempt(placement: Placement) -> None:
    try:
        outputs = render_placement(placement)
        receipt = deliver(placement, outputs)
    except Refused as error:
        fail(placement, str(error))
    except (NotReady, DeliveryError) as error:
        retry_later(placement, str(error))
    else:
        placement.delivered_at = timezone.now()
        placement.error = ""
        placement.record(Placement.Status.DELIVERED, note=receipt)


def render_placement(placement: Placement) -> list[OutputFile]:
    if placement.status == Placement.Status.RENDERED:
        return list(placement.outputs.all())
    adapter = placement.outlet.adapter
    if placement.advisory_id:
        package = adapter.render_notice(placement.advisory, placement.outlet)
    else:
        package = render_item(placement, adapter)
    outputs = store_package(placement, package)
    count = len(outputs)
    note = ngettext("%(count)d 个文件", "%(count)d 个文件", count) % {"count": count}
    placement.record(Placement.Status.RENDERED, note=note)
    return outputs


def render_item(placement: Placement, adapter) -> Package:
    if not visible_pages().filter(pk=placement.page_id).exists():
        raise NotReady(gettext("内容尚未上线（或已下线），暂不交付"))
    try:
        item = with_approved_files(placement.page.specific)
    except FileNotApproved as error:
        message = gettext("使用的文件「%(title)s」没有审核通过的版本，不能交付")
        raise Refused(message % {"title": error.title}) from error
    if problems := blocking(adapter.check(item, placement.outlet)):
        raise Refused("；".join(problem.message for problem in problems))
    placement.record(Placement.Status.CHECKED)
    return adapter.render(item, placement.outlet)


def store_package(placement: Placement, package: Package) -> list[OutputFile]:
    for old in placement.outputs.all():
        old.file.delete(save=False)
        old.delete()
    outputs = []
    for item in package.files:
        output = OutputFile(
            placement=placement,
            name=item.name,
            mime_type=item.mime_type,
            size=item.size,
        )
        content = item.content
        if not isinstance(content, File):
            content = ContentFile(content)
        output.file.save(item.name, content, save=False)
        output.save()
        outputs.append(output)
    return outputs


def retry_later(placement: Placement, reason: str) -> None:
    placement.attempts += 1
    if placement.attempts >= MAX_ATTEMPTS:
        message = gettext("%(reason)s（已重试 %(attempts)d 次）")
        fail(placement, message % {"reason": reason, "attempts": placement.attempts})
        return
    delay = RETRY_BASE * 2 ** (placement.attempts - 1)
    placement.next_attempt_at = timezone.now() + delay
    placement.error = reason
    logger.warning("placement %s: %s; retry in %s", placement.pk, reason, delay)


def fail(placement: Placement, reason: str) -> None:
    placement.error = reason
    placement.next_attempt_at = None
    placement.record(Placement.Status.FAILED, note=reason)
