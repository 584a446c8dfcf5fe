"""The publish queue: placements whose time has come are checked, rendered
and delivered by the background worker, once each, with retries.

The scheduler tick (cms.scheduling) calls enqueue_due_placements(). A due
placement is claimed for LEASE in its own transaction (SKIP LOCKED on
PostgreSQL, an exclusive write on SQLite) and handed to the process_placement
task; a worker that dies mid-way lets the lease run out and the placement is
taken up again. Delivery is therefore at-least-once; webhooks carry an
Idempotency-Key so that a receiver can drop a repeat.
"""

import logging
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_tasks import task
from django_tasks_db.utils import exclusive_transaction

from channels.base import Package
from channels.delivery import DeliveryError, deliver
from channels.models import OutputFile, Placement
from cms.files import FileNotApproved, with_approved_files
from cms.pages import visible_pages

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
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
            placement.claimed_until = now + LEASE
            placement.save(update_fields=["claimed_until"])
        process_placement.enqueue(placement_id)  # after the claim is committed
        claimed += 1
    return claimed


@task()
def process_placement(placement_id: int) -> str:
    placement = Placement.objects.select_related("outlet", "page", "advisory").get(
        pk=placement_id
    )
    if placement.status not in OPEN:
        return placement.status
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
    placement.claimed_until = None
    placement.save()
    return placement.status


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
    if problems := adapter.check(item, placement.outlet):
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
            size=len(item.content),
        )
        output.file.save(item.name, ContentFile(item.content), save=False)
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
