"""Each scheduler round brings what is new into the ledger: the finished
days' site reads and enclosure downloads (whose raw rows then go, and
after them the days' salts, so that no hash can be linked to an address
again), newspaper and radio placements delivered since the last round,
screen days rolled up (again), partners' pulls of finished days and the
figures they reported; then the monthly roll-ups the reports read."""

import logging
from datetime import date, datetime

from django.utils import timezone

from reach import (
    downloads,
    partner_reach,
    placements,
    rollups,
    screen_plays,
    site_reads,
)
from reach.models import DailySalt, EnclosureListen, SiteVisit

logger = logging.getLogger(__name__)


def count_finished_days(now: datetime) -> list[date]:
    """Every day before today with reads or downloads, counted."""
    site_reads.VISITS.flush()
    downloads.DOWNLOADS.flush()
    today = timezone.localdate(now)
    days = sorted(
        set(SiteVisit.objects.filter(day__lt=today).values_list("day", flat=True))
        | set(
            EnclosureListen.objects.filter(day__lt=today).values_list("day", flat=True)
        )
    )
    for day in days:
        site_reads.count_day(day)
        downloads.count_day(day)
    DailySalt.objects.filter(day__lt=today).delete()
    return days


def write_ledger(now: datetime) -> None:
    counted = count_finished_days(now)
    delivered = placements.write_delivered(now)
    screen_days = screen_plays.write_rolled_up_days()
    pull_days = partner_reach.write_pull_days(now)
    figures = partner_reach.write_reported_figures()
    rollups.refresh()
    if counted or delivered or screen_days or pull_days or figures:
        logger.info(
            "reach: %d day(s) of reads and downloads, %d placement(s), "
            "%d screen day(s), %d day(s) of pulls, %d reported figure(s)",
            len(counted),
            delivered,
            len(screen_days),
            len(pull_days),
            figures,
        )
