"""Newspaper columns and radio segments: each delivered placement reaches
the people its outlet's settings estimate (the channel's
audience_estimate: circulation × readers per copy, the slot's audience),
written into the ledger as an estimate with its inputs and their source;
missing when an input is (no circulation figure), never zero. Correction
and withdrawal notices are not reach. When an outlet's settings change,
its placements' estimates are written again from the new figures."""

from datetime import datetime

from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext

from channels.models import Outlet, Placement
from channels.registry import get_adapter
from reach.ledger import record
from reach.marks import mark_of, move_mark
from reach.models import ReachRecord

SOURCE = "placements"


def write_estimate(placement: Placement) -> ReachRecord | None:
    outlet = placement.outlet
    estimate = get_adapter(outlet.channel).audience_estimate(outlet.parsed_spec)
    if estimate is None:
        return None
    confidence = ReachRecord.Confidence
    return record(
        f"placement:{placement.pk}",
        page_id=placement.page_id,
        channel=outlet.channel,
        outlet=outlet,
        organisation_id=outlet.owner_id,
        day=timezone.localdate(placement.scheduled_at),
        metric=ReachRecord.Metric.PEOPLE,
        method=ReachRecord.Method.ESTIMATED,
        value=estimate.people,
        source=gettext("《%(outlet)s》：%(source)s")
        % {"outlet": outlet.name, "source": estimate.source},
        confidence=confidence.MEDIUM if estimate.sourced else confidence.LOW,
        inputs={**estimate.inputs, "placement": placement.pk},
    )


def delivered() -> QuerySet[Placement]:
    return Placement.objects.filter(
        status=Placement.Status.DELIVERED, advisory__isnull=True
    ).select_related("outlet")


def write_delivered(now: datetime) -> int:
    """The placements delivered since the last round; how many."""
    since = mark_of(SOURCE)
    placements = delivered().filter(delivered_at__gt=since, delivered_at__lte=now)
    written = [write_estimate(placement) for placement in placements]
    move_mark(SOURCE, now)
    return sum(row is not None for row in written)


@receiver(post_save, sender=Outlet, dispatch_uid="reach-outlet-estimates")
def outlet_changed(sender, instance: Outlet, created: bool, **kwargs) -> None:
    if created:
        return
    written = delivered().filter(outlet=instance, delivered_at__lte=mark_of(SOURCE))
    for placement in written:
        write_estimate(placement)
