"""Each scheduler round counts the finished days into the ledger: the
site's reads and the enclosures' downloads, whose raw rows then go, and
after them the days' salts, so that no hash can be linked to an address
again."""

from datetime import date, datetime

from django.utils import timezone

from reach import downloads, site_reads
from reach.models import DailySalt, EnclosureListen, SiteVisit


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
