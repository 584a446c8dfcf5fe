"""The ledger added up by month, so that a report reads a few thousand rows
whatever the ledger holds: per organisation, channel and outlet or partner
(MonthRollup), and per organisation and item (PageMonthRollup). They are
derived, never written by hand: after each round of writes the months
whose records were written since the last rebuild are rebuilt from the
ledger (a month at a time, for the organisations written to), and a
report only reads them. The ledger stays the truth every figure traces to."""

from datetime import date, datetime

from django.db import transaction
from django.db.models import Max
from django.db.models.functions import TruncMonth

from reach.marks import mark_of, move_mark
from reach.models import MonthRollup, PageMonthRollup, ReachRecord
from reach.reports import FIGURES, ITEMS, PULLS

SOURCE = "rollups"
PART = ("organisation", "channel", "outlet", "partner")


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


@transaction.atomic
def rebuild(month: date, organisations: list[int]) -> None:
    records = ReachRecord.objects.filter(
        day__gte=month, day__lt=next_month(month), organisation__in=organisations
    )
    for model in (MonthRollup, PageMonthRollup):
        model.objects.filter(month=month, organisation__in=organisations).delete()
    parts = (
        records.values(*PART).annotate(**FIGURES, pulls=PULLS, items=ITEMS).order_by()
    )
    MonthRollup.objects.bulk_create(
        [
            MonthRollup(
                month=month,
                organisation_id=row["organisation"],
                channel=row["channel"],
                outlet_id=row["outlet"],
                partner_id=row["partner"],
                **{name: row[name] for name in (*FIGURES, "pulls", "items")},
            )
            for row in parts
        ],
        batch_size=1000,
    )
    pages = (
        records.exclude(page=None)
        .values("organisation", "page")
        .annotate(**FIGURES)
        .order_by()
    )
    PageMonthRollup.objects.bulk_create(
        [
            PageMonthRollup(
                month=month,
                organisation_id=row["organisation"],
                page_id=row["page"],
                **{name: row[name] for name in FIGURES},
            )
            for row in pages
        ],
        batch_size=1000,
    )


def refresh() -> int:
    """Rebuild the months written since the last refresh; how many."""
    since = mark_of(SOURCE)
    written = ReachRecord.objects.filter(recorded_at__gt=since)
    latest = written.aggregate(latest=Max("recorded_at"))["latest"]
    if latest is None:
        return 0
    touched: dict[date, set[int]] = {}
    rows = (
        written.filter(recorded_at__lte=latest)
        .annotate(month=TruncMonth("day"))
        .values_list("month", "organisation")
        .distinct()
    )
    for month, organisation in rows:
        touched.setdefault(month, set()).add(organisation)
    for month, organisations in sorted(touched.items()):
        rebuild(month, sorted(organisations))
    move_mark(SOURCE, latest)
    return len(touched)


def rebuild_everything() -> None:
    """After records were deleted or written in bulk (the demo, a benchmark)."""
    move_mark(SOURCE, datetime(2000, 1, 1).astimezone())
    refresh()
