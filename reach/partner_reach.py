"""Partners: the feeds and API pulls each partner made (counted from the
pull log, one figure per partner and day: successful pulls, not 304s, not
its reports), the items those pulls delivered (one figure per partner and
item, on the day it first reached the partner, from the page ids the log
keeps of each answer), and the figures partners report of their own
readers and plays (partners.figures, imported, each with the partner
named)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.models import Page

from partners.models import PullLog, ReportedFigure
from reach.ledger import record
from reach.marks import BEGINNING, mark_of, move_mark
from reach.models import ReachRecord

CHANNEL = "partner"
PULLS = "partner-pulls"
FIGURES = "partner-figures"
DAYS_PER_ROUND = 31
REPORTS_PATH = "/api/partner/figures/"


def day_span(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time()))
    return start, start + timedelta(days=1)


def write_pull_day(day: date) -> int:
    start, end = day_span(day)
    pulls = (
        PullLog.objects.filter(at__gte=start, at__lt=end, status=200)
        .exclude(partner=None)
        .exclude(path__startswith=REPORTS_PATH)
        .values_list("partner_id", "partner__owner_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    write_items_delivered(day, start, end)
    for partner, owner, count in pulls:
        record(
            f"{CHANNEL}:{day.isoformat()}:{partner}",
            page=None,
            channel=CHANNEL,
            partner_id=partner,
            organisation_id=owner,
            day=day,
            metric=ReachRecord.Metric.PULLS,
            method=ReachRecord.Method.COUNTED,
            value=count,
            source=gettext("合作方拉取记录（成功的订阅源与 API 请求）"),
            confidence=ReachRecord.Confidence.HIGH,
            inputs={},
        )
    return len(pulls)


def write_items_delivered(day: date, start: datetime, end: datetime) -> int:
    """The items the day's successful pulls delivered to each partner for
    the first time (an item already recorded for the partner is not again)."""
    carried = (
        PullLog.objects.filter(at__gte=start, at__lt=end, status=200)
        .exclude(partner=None)
        .exclude(items=[])
        .values_list("partner_id", "partner__owner_id", "items")
    )
    first_pulls: dict[tuple[int, int], tuple[int, int]] = {}
    for partner, owner, items in carried:
        for page in items:
            pulls = first_pulls.get((partner, page), (owner, 0))[1]
            first_pulls[(partner, page)] = (owner, pulls + 1)
    keys = {pair: delivery_key(*pair) for pair in first_pulls}
    earlier = set(
        ReachRecord.objects.filter(key__in=keys.values(), day__lt=day).values_list(
            "key", flat=True
        )
    )
    pages = set(
        Page.objects.filter(pk__in={page for _p, page in first_pulls}).values_list(
            "pk", flat=True
        )
    )
    written = 0
    for (partner, page), (owner, pulls) in first_pulls.items():
        if keys[(partner, page)] in earlier or page not in pages:
            continue
        record(
            keys[(partner, page)],
            page_id=page,
            channel=CHANNEL,
            partner_id=partner,
            organisation_id=owner,
            day=day,
            metric=ReachRecord.Metric.ITEMS,
            method=ReachRecord.Method.COUNTED,
            value=1,
            source=gettext("合作方拉取记录（应答中送达的条目）"),
            confidence=ReachRecord.Confidence.HIGH,
            inputs={"pulls": pulls},
        )
        written += 1
    return written


def delivery_key(partner: int, page: int) -> str:
    return f"{CHANNEL}-item:{partner}:{page}"


def write_pull_days(now: datetime, most: int = DAYS_PER_ROUND) -> list[date]:
    """The finished days after the last one written, `most` of them (a
    month a scheduler round)."""
    yesterday = timezone.localdate(now) - timedelta(days=1)
    since = mark_of(PULLS)
    if since == BEGINNING:
        first_pull = PullLog.objects.order_by("at").values_list("at", flat=True)
        first = first_pull.first()
        if first is None:
            return []
        start = timezone.localdate(first)
    else:
        start = timezone.localdate(since) + timedelta(days=1)
    days = [start + timedelta(days=n) for n in range((yesterday - start).days + 1)]
    days = days[:most]
    for day in days:
        write_pull_day(day)
    if days:
        move_mark(PULLS, day_span(days[-1])[0])
    return days


def write_reported_figures() -> int:
    since = mark_of(FIGURES)
    figures = ReportedFigure.objects.filter(reported_at__gt=since).select_related(
        "partner"
    )
    latest = since
    for figure in figures:
        record(
            f"partner-figure:{figure.pk}",
            page_id=figure.page_id,
            channel=CHANNEL,
            partner=figure.partner,
            organisation_id=figure.partner.owner_id,
            day=figure.day,
            metric=figure.metric,
            method=ReachRecord.Method.IMPORTED,
            value=figure.value,
            source=gettext("合作方「%(partner)s」报送")
            % {"partner": figure.partner.name},
            confidence=ReachRecord.Confidence.MEDIUM,
            inputs={"reported_at": figure.reported_at.isoformat()},
        )
        latest = max(latest, figure.reported_at)
    move_mark(FIGURES, latest)
    return len(figures)
