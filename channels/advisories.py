"""更正 and 撤回 travel the way the item went.

When cms announces an advisory (cms.advisories.advisory_issued), the worker
runs announce(): placements not yet delivered are re-checked against the
corrected revision or cancelled; then each channel adapter names, from the
outlets of its channel that received the item, who must hear of it
(ChannelAdapter.correct / withdraw); each recipient is recorded
(AdvisoryRecipient) and sent its signal at once. Other products that put
items out (partners, platform exports) listen to the same signal and record
their recipients here too, through record_and_send().

A recipient's row names the function that sends it; a failed one is sent
again from the admin (resend)."""

import json
import logging
from datetime import datetime, timedelta
from io import BytesIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django_tasks import task

from channels.base import Recipient, blocking
from channels.delivery import DeliveryError, Shipment, ShipmentFile, ship
from channels.models import AdvisoryRecipient, Outlet, Placement
from channels.queue import OPEN, fail
from channels.registry import all_adapters
from cms.advisories import Advisory
from cms.files import FileNotApproved, with_approved_files
from cms.organisations import root_organisation_id

logger = logging.getLogger(__name__)
State = AdvisoryRecipient.State


def on_advisory_issued(sender, advisory: Advisory, **kwargs) -> None:
    announce.enqueue(advisory.pk)


@task()
def announce(advisory_id: int) -> int:
    """Settle the open placements, then record and send each recipient;
    returns how many recipients were recorded. Safe to run again: a
    recipient already recorded is not sent twice."""
    advisory = Advisory.objects.select_related("page").get(pk=advisory_id)
    recorded = settle_open_placements(advisory)
    for adapter in all_adapters():
        outlets = outlets_that_received(advisory, adapter.key)
        hook = adapter.withdraw if advisory.is_withdrawal else adapter.correct
        recorded += len(record_and_send(advisory, adapter.key, hook(advisory, outlets)))
    return recorded


def outlets_that_received(advisory: Advisory, channel: str) -> list[Outlet]:
    """The outlets of a channel to which a placement of the item was
    delivered before the advisory (a notice placement is not the item)."""
    delivered = Placement.objects.filter(
        page_id=advisory.page_id,
        status=Placement.Status.DELIVERED,
        advisory__isnull=True,
        delivered_at__lte=advisory.at,
        outlet__channel=channel,
    )
    return list(Outlet.objects.filter(pk__in=delivered.values("outlet")))


def record_and_send(
    advisory: Advisory, channel: str, recipients: list[Recipient]
) -> list[AdvisoryRecipient]:
    rows = []
    for recipient in recipients:
        row = record(advisory, channel, recipient)
        if row is not None:
            send(row)
            rows.append(row)
    return rows


def record(
    advisory: Advisory, channel: str, recipient: Recipient
) -> AdvisoryRecipient | None:
    """The recipient's row, or None when it was recorded before."""
    try:
        with transaction.atomic():
            return AdvisoryRecipient.objects.create(
                advisory=advisory,
                channel=channel,
                name=recipient.name[:200],
                reference=recipient.reference,
                outlet=recipient.outlet,
                placement=recipient.placement,
                organisation_id=organisation_of(recipient),
                sender=recipient.sender,
                sent=recipient.sent,
            )
    except IntegrityError:
        return None


def organisation_of(recipient: Recipient) -> int:
    """The id of the organisation whose recipient it is: its staff see and
    act on the row (the root's, when nobody in particular)."""
    if recipient.organisation is not None:
        return recipient.organisation.pk
    if recipient.outlet is not None:
        return recipient.outlet.owner_id
    return root_organisation_id()


def send(row: AdvisoryRecipient) -> AdvisoryRecipient:
    row.attempts += 1
    try:
        row.state, row.detail = import_string(row.sender)(row)
    except DeliveryError as error:
        row.state, row.detail = State.FAILED, str(error)
    except Exception as error:  # a sender's bug must not stop the others
        logger.exception("advisory recipient %s", row.pk)
        row.state, row.detail = State.FAILED, gettext("发送出错：%s") % error
    row.updated_at = timezone.now()
    row.save()
    return row


@task()
def resend(recipient_id: int) -> str:
    return send(AdvisoryRecipient.objects.get(pk=recipient_id)).state


def acknowledge(row: AdvisoryRecipient, user, note: str = "") -> None:
    """A person confirms the recipient acted (a desk called back, a platform
    took the video down)."""
    row.state = State.ACKNOWLEDGED
    row.acknowledged_by = user
    row.detail = note or gettext("已由 %(user)s 确认") % {"user": user}
    row.updated_at = timezone.now()
    row.save()


# The open placements of the item


def settle_open_placements(advisory: Advisory) -> int:
    placements = Placement.objects.filter(
        page_id=advisory.page_id, status__in=OPEN
    ).select_related("outlet")
    if advisory.is_withdrawal:  # an earlier correction's notice is moot too
        placements = placements.exclude(advisory=advisory)
    else:
        placements = placements.filter(advisory__isnull=True)
    rows = []
    for placement in placements:
        if advisory.is_withdrawal:
            recipient = cancel(placement, advisory)
        else:
            recipient = recheck(placement)
        rows += record_and_send(advisory, placement.outlet.channel, [recipient])
    return len(rows)


def placement_recipient(placement: Placement, sent: str) -> Recipient:
    when = f"{timezone.localtime(placement.scheduled_at):%Y-%m-%d %H:%M}"
    return Recipient(
        name=f"{placement.outlet}（{when} 排期）",
        reference=f"placement:{placement.pk}",
        sent=sent,
        sender="channels.advisories.follow_placement",
        outlet=placement.outlet,
        placement=placement,
    )


def cancel(placement: Placement, advisory: Advisory) -> Recipient:
    note = gettext("内容已撤回，排期撤销")
    if advisory.reason:
        note += f"：{advisory.reason}"
    placement.claimed_until = None
    placement.next_attempt_at = None
    placement.record(Placement.Status.CANCELLED, user=advisory.user, note=note)
    placement.save()
    return placement_recipient(placement, gettext("未交付的排期撤销"))


def recheck(placement: Placement) -> Recipient:
    """The corrected revision against the outlet's spec: a placement it no
    longer fits fails with the reason; one already rendered is rendered
    again from the corrected revision when its time comes."""
    try:
        item = with_approved_files(placement.page.specific)
        problems = blocking(placement.outlet.adapter.check(item, placement.outlet))
        reasons = [problem.message for problem in problems]
    except FileNotApproved as error:
        reasons = [
            gettext("使用的文件「%(title)s」没有审核通过的版本")
            % {"title": error.title}
        ]
    if reasons:
        fail(placement, gettext("更正后复查未通过：") + "；".join(reasons))
    else:
        placement.record(
            Placement.Status.PLANNED, note=gettext("更正后复查通过，按更正后的版本刊播")
        )
    placement.save()
    return placement_recipient(placement, gettext("未交付的排期按更正后的版本复查"))


def follow_placement(row: AdvisoryRecipient) -> tuple[str, str]:
    """A recipient whose signal is a placement: its state is the placement's."""
    placement = row.placement
    if placement is None:
        return State.CANCELLED, gettext("排期已删除")
    state = AdvisoryRecipient.state_of_placement(placement)
    if placement.status == Placement.Status.PLANNED and placement.advisory_id is None:
        state = State.SENT  # an item placement re-checked and going out corrected
    detail = placement.error or placement.get_status_display()
    return state, detail


# Notices planned on an outlet (a newspaper's 更正启事, a station's script)


def next_issue(outlet: Outlet, after: datetime) -> datetime:
    """The outlet's next publication time after a moment: its next cadence
    day at its cadence time, or the next day when it has no weekdays set."""
    local = timezone.localtime(after)
    at = outlet.cadence_time or local.time().replace(second=0, microsecond=0)
    for days in range(1, 8 if outlet.cadence_weekdays else 2):
        day = local.date() + timedelta(days=days)
        if not outlet.cadence_weekdays or day.isoweekday() in outlet.cadence_weekdays:
            return timezone.make_aware(datetime.combine(day, at))
    raise AssertionError("unreachable: a weekday is always within seven days")


def plan_notice(advisory: Advisory, outlet: Outlet, when: datetime) -> Placement:
    """A placement that carries the advisory's notice (not the item) on the
    outlet (the one planned before, when the advisory is announced again); a
    minute later when that time is taken by the item itself."""
    planned = Placement.objects.filter(advisory=advisory, outlet=outlet).first()
    if planned is not None:
        return planned
    while True:
        try:
            with transaction.atomic():
                return Placement.objects.create(
                    page_id=advisory.page_id,
                    outlet=outlet,
                    scheduled_at=when,
                    advisory=advisory,
                    created_by=advisory.user,
                )
        except IntegrityError:
            when += timedelta(minutes=1)


def item_placement(advisory: Advisory, outlet: Outlet) -> Placement | None:
    """The latest delivered placement of the item on the outlet: the issue or
    broadcast a notice refers to."""
    return (
        Placement.objects.filter(
            page_id=advisory.page_id,
            outlet=outlet,
            advisory__isnull=True,
            status=Placement.Status.DELIVERED,
        )
        .order_by("-scheduled_at")
        .first()
    )


def notice_recipient(advisory: Advisory, outlet: Outlet, when: datetime, sent: str):
    placement = plan_notice(advisory, outlet, when)
    return Recipient(
        name=str(outlet),
        reference=f"outlet:{outlet.pk}",
        sent=sent,
        sender="channels.advisories.follow_placement",
        outlet=outlet,
        placement=placement,
    )


# The default signal: a message through the outlet's own delivery method


def advisory_payload(advisory: Advisory) -> dict:
    return {
        "advisory": {
            "id": advisory.pk,
            "kind": advisory.kind,
            "at": advisory.at.isoformat(),
            "item": {
                "id": advisory.page_id,
                "title": advisory.title,
                "path": advisory.public_path,
            },
            "wrong": advisory.wrong,
            "right": advisory.right,
            "reason": advisory.reason,
            "message": advisory.summary(),
        }
    }


def advisory_subject(advisory: Advisory) -> str:
    label = gettext("撤稿") if advisory.is_withdrawal else gettext("更正")
    return f"【{label}】{advisory.title}"


def advisory_text(advisory: Advisory, outlet_name: str) -> str:
    if advisory.is_withdrawal:
        action = gettext("请停止刊播、撤下已刊发的这篇内容，不再转载。")
    else:
        action = gettext("请在下一期/下一次刊播时刊登更正，转载的版本请一并更正。")
    when = f"{timezone.localtime(advisory.at):%Y-%m-%d %H:%M}"
    return f"{outlet_name}：\n\n{advisory.summary()}\n\n{action}\n\n{when}\n"


def tell_outlet(row: AdvisoryRecipient) -> tuple[str, str]:
    outlet, advisory = row.outlet, row.advisory
    if outlet is None:
        return State.CANCELLED, gettext("渠道已删除")
    text = advisory_text(advisory, outlet.name)
    data = json.dumps(advisory_payload(advisory), ensure_ascii=False, indent=1)
    stem = f"advisory-{advisory.pk}"
    shipment = Shipment(
        outlet=outlet,
        folder_name=f"{advisory.at:%Y%m%d}-{stem}",
        subject=advisory_subject(advisory),
        body=text,
        payload=advisory_payload(advisory),
        idempotency_key=stem,
        files=[
            text_file(f"{stem}.txt", text, "text/plain; charset=utf-8"),
            text_file(f"{stem}.json", data, "application/json"),
        ],
    )
    receipt = ship(shipment)
    if receipt is None:
        message = gettext("该渠道不接收推送：请电话或邮件通知对方，再标记为已确认")
        return State.PENDING, message
    if outlet.delivery == Outlet.Delivery.EMAIL:
        return State.SENT, receipt
    return State.DELIVERED, receipt


def text_file(name: str, text: str, mime_type: str) -> ShipmentFile:
    data = text.encode("utf-8")
    return ShipmentFile(name, mime_type, lambda: BytesIO(data))
