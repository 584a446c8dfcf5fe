"""A year of the demo's reach, made the way the product makes it: the
demo's items published over the past year (their first publication moved
back), the partners pulling their feeds a few times a day, one partner reporting its
readers, the posted short video's platform figures typed in — and then the
ledger writers (reach.daily and the rest) turn those records into reach.
The site's reads and the episodes' downloads, whose raw rows the product
deletes once counted, are written as the daily ledger figures they leave.
The screens' figures are what the demo's screens played (the emergency's
card); the 文化广场 has a footfall figure and the 候车厅 none, so its
estimate shows as missing. Loaded once: nothing is made when the ledger
already holds site reads."""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from wagtail.models import Page

from channels.models import Placement
from channels.reports import CONTENT_MODELS
from cms.pages import ColumnEpisodePage, visible_pages
from feeds.selection import feed_pages
from partners.models import Partner, PullLog, ReportedFigure
from reach import daily, downloads, partner_reach, site_reads
from reach.imports import check_typed, save_import
from reach.ledger import counted_day, owners_of
from reach.models import ReachRecord
from screens.models import ScreenGroup
from screens.rollups import roll_up_and_prune

SEED = 20261207
PULLS_A_DAY = 3
FOOTFALL = {"合隆镇村文化广场": (180, "2026 年 5 月合隆镇人工计数，晚间时段平均")}


def year_start(today: date) -> date:
    """A full year back, and at least from New Year, so that this year's
    report has every month so far."""
    return min(date(today.year, 1, 1), today - timedelta(days=365))


def moment(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def spread_publication(pages: list[Page], start: date, today: date) -> dict[int, date]:
    """The items' first publication moved back over the year, in tree order
    (episode 1 first); the day each went out."""
    step = max((today - start).days - 30, 1) / max(len(pages), 1)
    published = {}
    for number, page in enumerate(pages):
        day = start + timedelta(days=int(number * step))
        Page.objects.filter(pk=page.pk).update(first_published_at=moment(day))
        published[page.pk] = day
    return published


def daily_figures(
    published: dict[int, date], today: date, channel: str, metric: str, scale: int
) -> list[ReachRecord]:
    """Per item and day since it went out: many the first week, a tail after."""
    rng = random.Random(f"{SEED}-{channel}")
    owners = owners_of(list(published))
    source = site_reads.SOURCE if channel == "site" else downloads.SOURCE
    rows = []
    for page_id, first in published.items():
        base = rng.randint(scale // 2, scale)
        for age in range((today - first).days):
            day = first + timedelta(days=age)
            value = round(
                base * (3 if age < 7 else 1) * rng.uniform(0.6, 1.4) / (1 + age / 60)
            )
            if value <= 0:
                continue
            fields = counted_day(channel, day, metric, source, page_id, owners[page_id])
            inputs = (
                {"visitors": value}
                if channel == "site"
                else {"listeners": value, "under_a_minute": 0}
            )
            rows.append(ReachRecord(**fields, value=value, inputs=inputs))
    return rows


def carried_on(entered: list[tuple[int, datetime]], at: datetime, size: int) -> list:
    """The page ids a feed's first page held at that moment, newest first."""
    return [pk for pk, when in entered if when <= at][:size]


def partner_pulls(start: date, today: date) -> int:
    """Each demo partner's feed pulled a few times a day, mostly unchanged;
    a changed answer carries the items the feed held then."""
    rng = random.Random(f"{SEED}-pulls")
    rows = []
    for partner in Partner.objects.all():
        earlier = partner.pulls.order_by("at").first()
        if earlier is None or earlier.feed is None:
            continue
        feed = earlier.feed
        entered = [(page.pk, page.entered_at) for page in feed_pages(feed)]
        for age in range((today - start).days):
            day = start + timedelta(days=age)
            for pull in range(PULLS_A_DAY):
                changed = pull == 0 or rng.random() < 0.2
                at = moment(day, 6 + pull * 6)
                rows.append(
                    PullLog(
                        partner=partner,
                        key=earlier.key,
                        feed=earlier.feed,
                        path=earlier.path,
                        at=at,
                        status=200 if changed else 304,
                        user_agent=earlier.user_agent,
                        items=carried_on(entered, at, feed.item_count)
                        if changed
                        else [],
                    )
                )
    PullLog.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def partner_reports(published: dict[int, date], today: date) -> int:
    """The first partner reports its readers of the items, month by month."""
    partner = Partner.objects.order_by("pk").first()
    if partner is None:
        return 0
    rng = random.Random(f"{SEED}-reported")
    rows = []
    for page_id, first in list(published.items())[:6]:
        day = first
        while day < today:
            rows.append(
                ReportedFigure(
                    partner=partner,
                    page_id=page_id,
                    day=day,
                    metric=ReportedFigure.Metric.READS,
                    value=rng.randint(300, 3000),
                    reported_at=timezone.now(),
                )
            )
            day += timedelta(days=30)
    ReportedFigure.objects.bulk_create(rows)
    return len(rows)


def short_video_figures(today: date) -> int:
    """The posted video's figures from its platform, typed in as of yesterday."""
    posted = Placement.objects.filter(
        outlet__channel="short_video", status=Placement.Status.DELIVERED
    ).exclude(post_address="")
    figures = {"plays": 18_640, "likes": 1_204, "comments": 87, "shares": 356}
    return sum(
        save_import(check_typed(post, today - timedelta(days=1), figures))
        for post in posted
    )


def footfall() -> None:
    for name, (per_hour, source) in FOOTFALL.items():
        ScreenGroup.objects.filter(name=name, footfall_per_hour=None).update(
            footfall_per_hour=per_hour, footfall_source=source
        )


@transaction.atomic
def load_reach() -> str:
    if ReachRecord.objects.filter(channel=site_reads.CHANNEL).exists():
        return "reach: already loaded"
    now = timezone.now()
    today = timezone.localdate(now)
    start = year_start(today)
    items = list(visible_pages(Page.objects.type(*CONTENT_MODELS)).order_by("path"))
    published = spread_publication(items, start, today)
    site = daily_figures(published, today, site_reads.CHANNEL, "reads", 120)
    audio = {
        pk: day
        for pk, day in published.items()
        if pk
        in set(
            ColumnEpisodePage.objects.exclude(audio=None).values_list("pk", flat=True)
        )
    }
    podcast = daily_figures(audio, today, downloads.CHANNEL, "downloads", 40)
    ReachRecord.objects.bulk_create([*site, *podcast], batch_size=1000)
    pulls = partner_pulls(start, today)
    reported = partner_reports(published, today)
    footfall()
    roll_up_and_prune(now)
    partner_reach.write_pull_days(now, most=(today - start).days + 1)
    daily.write_ledger(now)
    typed = short_video_figures(today)
    return (
        f"reach: {len(site)} days of site reads, {len(podcast)} of downloads, "
        f"{pulls} partner pulls, {reported} reported "
        f"figures, {typed} short-video posts' figures"
    )
