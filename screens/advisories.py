"""更正 and 撤回 on the 科普大屏: the signal is the loop itself, and each
screen confirms it took the changed loop.

Recipients (BigScreenAdapter.correct / withdraw): every screen group whose
loop had the item, whatever outlets announce() passes — a playlist item of
the page set on the group (by a placement's render() or by an operator), a
placement of the page delivered to the group's outlet, or an emergency of
the page that had started. One row per group, reference group:<id>; a group
below one of them plays the item through its ancestor and is counted in
that ancestor's row.

The loop: a withdrawn page is no longer visible, so playlist.resolve leaves
its items out (an emergency of it falls back to its own card); a corrected
one is drawn from its new live revision (a card's address carries the
revision). Either writes a page log entry, which moves the loop fingerprint
(loops.py): the next poll of every screen gets the changed loop with a new
ETag, never a 304. The player stops the item if it is on screen, deletes
from Cache Storage every file no longer in the loop, then names that loop's
ETag in a heartbeat sent at once (player.js).

A confirmation (AdvisoryConfirmation) is that heartbeat: received after the
advisory was recorded, naming the ETag the server would send the screen
now. The loop behind that ETag was resolved under a fingerprint read after
the advisory's page log entry committed, so it is the changed loop; a screen
whose loop never showed the item (it hides it) confirms with the loop it
has, which is the same. A heartbeat costs one query more, and resolving the
current ETag (a cached loop) only while the screen has a row to confirm.
Revoking a screen counts its groups' rows again.

A row is sent with "n/m 台已确认" over the paired screens of the group and
every group below it, acknowledged once all of them confirmed (delivered,
with nobody to confirm, when it has none). It is counted again after each
confirmation commits, locked while counted, so concurrent confirmations are
all counted."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from channels.base import Recipient
from channels.models import AdvisoryRecipient, Placement
from cms.advisories import Advisory
from screens.models import (
    AdvisoryConfirmation,
    EmergencyItem,
    PlaylistItem,
    Screen,
    ScreenGroup,
)

SENDER = "screens.advisories.loop_confirmations"
REFERENCE = "group:%d"
State = AdvisoryRecipient.State
SETTLED = (State.ACKNOWLEDGED, State.CANCELLED)


def groups_that_had(advisory: Advisory) -> list[ScreenGroup]:
    """The groups on which the item was set, by any of the three ways."""
    if advisory.page_id is None:
        return []
    items = PlaylistItem.objects.filter(page_id=advisory.page_id)
    placements = Placement.objects.filter(
        page_id=advisory.page_id,
        status=Placement.Status.DELIVERED,
        advisory__isnull=True,
        delivered_at__lte=advisory.at,
        outlet__screen_group__isnull=False,
    )
    emergencies = EmergencyItem.objects.filter(
        page_id=advisory.page_id, starts_at__lte=advisory.at
    ).exclude(cancelled_at__lte=F("starts_at"))  # cancelled before it began
    return list(
        ScreenGroup.objects.filter(
            Q(pk__in=items.values("group_id"))
            | Q(pk__in=placements.values("outlet__screen_group"))
            | Q(pk__in=emergencies.values("group_id"))
        )
        .select_related("outlet", "owner")
        .order_by("path")
    )


def recipients(advisory: Advisory) -> list[Recipient]:
    if advisory.is_withdrawal:
        action = gettext("已撤出本分组及下级分组的轮播，各屏删除已缓存的文件")
    else:
        action = gettext("本分组及下级分组的轮播已换为更正后的版本")
    sent = f"{advisory.summary()}\n{action}"
    return [
        Recipient(
            name=str(group),
            reference=REFERENCE % group.pk,
            sent=sent,
            sender=SENDER,
            outlet=group.outlet,
            organisation=group.owner,
        )
        for group in groups_that_had(advisory)
    ]


def group_of(row: AdvisoryRecipient) -> ScreenGroup | None:
    group_id = group_id_of(row.reference)
    return None if group_id is None else ScreenGroup.objects.filter(pk=group_id).first()


def paired_screens(group: ScreenGroup):
    """The paired screens of the group and of every group below it."""
    return (
        Screen.objects.filter(
            group__path__startswith=group.path,
            token_hash__isnull=False,
            revoked_at__isnull=True,
        )
        .exclude(token_hash="")
        .order_by("group__path", "name")
    )


def loop_confirmations(row: AdvisoryRecipient) -> tuple[str, str]:
    """The row's sender: the loop changed when the advisory committed, so
    sending it is counting the screens that confirmed they took it."""
    group = group_of(row)
    if group is None:
        return State.CANCELLED, gettext("大屏分组已删除")
    screens = paired_screens(group)
    total = screens.count()
    if total == 0:
        return State.DELIVERED, gettext("轮播已更新；分组下没有已配对的大屏")
    confirmed = AdvisoryConfirmation.objects.filter(
        advisory_id=row.advisory_id, screen__in=screens
    ).count()
    detail = gettext("%(confirmed)d/%(total)d 台已确认") % {
        "confirmed": confirmed,
        "total": total,
    }
    return (State.ACKNOWLEDGED if confirmed >= total else State.SENT), detail


def rows_along(screen: Screen):
    """The unsettled rows of the groups along the screen's lineage."""
    references = [REFERENCE % pk for pk in screen.group.lineage_ids]
    return AdvisoryRecipient.objects.filter(
        sender=SENDER, reference__in=references
    ).exclude(state__in=SETTLED)


def groups_with_open_rows() -> set[int]:
    """The groups whose rows wait for confirmations: a screen below none of
    them has none to send (the fast path asks open_rows only below them)."""
    rows = AdvisoryRecipient.objects.filter(sender=SENDER).exclude(state__in=SETTLED)
    references = rows.values_list("reference", flat=True)
    return {group_id for group_id in map(group_id_of, references) if group_id}


def group_id_of(reference: str) -> int | None:
    prefix, _sep, pk = reference.partition(":")
    return int(pk) if prefix == "group" and pk.isdigit() else None


def open_rows(screen: Screen):
    """The rows that still wait for this screen's confirmation."""
    confirmed = AdvisoryConfirmation.objects.filter(screen=screen).values("advisory_id")
    return rows_along(screen).exclude(advisory_id__in=confirmed)


def screen_revoked(screen: Screen) -> None:
    """A revoked screen no longer counts: the rows it was holding back are
    counted again once the revocation commits."""
    row_ids = list(rows_along(screen).values_list("pk", flat=True))
    if row_ids:
        transaction.on_commit(lambda: recount(row_ids))


def confirm(screen: Screen, loop: str, current_loop: Callable[[], str]) -> int:
    """Record the screen's confirmations when the loop its heartbeat names
    is the one it would be sent now; returns how many advisories it
    confirmed. `current_loop` gives that ETag (called only when needed)."""
    rows = list(open_rows(screen).values_list("pk", "advisory_id"))
    # A proxy that compresses the playlist may have weakened the ETag.
    if not rows or loop.removeprefix("W/") != current_loop():
        return 0
    now = timezone.now()
    advisories = {advisory_id for _pk, advisory_id in rows}
    with transaction.atomic():
        AdvisoryConfirmation.objects.bulk_create(
            [
                AdvisoryConfirmation(
                    advisory_id=advisory_id, screen=screen, loop=loop, confirmed_at=now
                )
                for advisory_id in advisories
            ],
            ignore_conflicts=True,
        )
        row_ids = [pk for pk, _advisory_id in rows]
        transaction.on_commit(lambda: recount(row_ids))
    return len(advisories)


def recount(row_ids: list[int]) -> None:
    """Bring each row's state up to the confirmations committed so far."""
    for pk in row_ids:
        with transaction.atomic():
            row = AdvisoryRecipient.objects.select_for_update().filter(pk=pk).first()
            if row is None:
                continue
            row.state, row.detail = loop_confirmations(row)
            row.updated_at = timezone.now()
            row.save(update_fields=["state", "detail", "updated_at"])
