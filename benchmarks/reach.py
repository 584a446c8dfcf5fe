"""Reach benchmark: the reach reports over a year of the ledger, at a tenth
of the issue's size and then at its size, measured in the same run — a
year of records for 1,000 screens (100 sites of ten, each site's figures a
day per item of its monthly loop of ten, as reach.screen_plays writes
them), 100,000 placements and 10 million site reads held as daily
roll-ups (1,000 items × 365 days), besides short-video imports and
partner pulls. Timed: the admin's 传播量报告 for every grouping,
its XLSX export, and the year-end 考核 report's page, XLSX and PDF.
Targets: the same SQL queries at both sizes, and under 1 s at the full
size. The reports read the monthly roll-ups (reach.rollups); rebuilding
them after the bulk write is timed and shown. (That the ledger's writes
do not slow a cached page is benchmarks/site_reads.py.)

Run: .venv/bin/python benchmarks/reach.py  (DATABASE_URL as for site.py;
see README.md). It builds the same throw-away environment as site.py.
"""

import logging
import random
import time
from datetime import date, timedelta
from pathlib import Path

from environment import environment_line, run_benchmark
from sampling import TIMED_REPEATS, Sample, measure
from sampling import report as say

HOST = "127.0.0.1"
TARGET_MS = 1000
YEAR_DAYS = 365
# At the full size; the baseline is a tenth of each.
ITEMS = 1_000
SITE_READS = 10_000_000
PLACEMENTS = 100_000
SCREENS = 1_000
SCREENS_PER_SITE = 10
ITEMS_PLAYED_A_DAY = 10  # on a site's screens: its loop that month
SHORT_VIDEO_POSTS = 5_000
PARTNERS = 20
BATCH = 10_000
# Laying the PDF out (WeasyPrint) grows with its tables, a row per
# organisation: shown, with the query target only.
UNTIMED = ("year-end PDF",)
GROUPINGS = (
    "channel",
    "month",
    "organisation",
    "tier",
    "outlet",
    "item",
    "campaign",
    "audience",
)


def organisations(root, sites: int) -> list:
    """A city, counties of ten sites each: the screens' owners."""
    from cms.organisations import Organisation

    Tier = Organisation.Tier
    city = Organisation.objects.create(
        name=f"基准市{sites}", tier=Tier.CITY, parent=root
    )
    owners = []
    for county_number in range(max(sites // 10, 1)):
        county = Organisation.objects.create(
            name=f"基准县{sites}-{county_number}", tier=Tier.COUNTY, parent=city
        )
        for site_number in range(10):
            owners.append(
                Organisation.objects.create(
                    name=f"基准站{sites}-{county_number}-{site_number}",
                    tier=Tier.SITE,
                    parent=county,
                )
            )
    return owners


def items(count: int, label: str) -> list[int]:
    """Pages the records are of: copies of one demo article's row, cheap to
    make in bulk (the reports read their titles, campaign and audiences)."""

    from cms.pages import ArticlePage, visible_pages

    article = visible_pages(ArticlePage.objects.all()).first()
    parent = article.get_parent()
    made = []
    for number in range(count):
        copy = ArticlePage(
            title=f"基准内容{label}-{number}",
            slug=f"bench-{label}-{number}",
            standfirst=article.standfirst,
            author=article.author,
            source_credit=article.source_credit,
            body=article.body,
            campaign=article.campaign,
            live=True,
        )
        parent.add_child(instance=copy)
        copy.audiences.set(article.audiences.all())
        made.append(copy.pk)
    return made


def ledger_rows(scale: float, label: str, root, rng: random.Random) -> int:
    """A year of the ledger at this scale, written in bulk."""
    from channels.models import Outlet
    from partners.models import Partner
    from reach.models import ReachRecord

    start = date(2025, 1, 1)
    days = [start + timedelta(days=n) for n in range(YEAR_DAYS)]
    pages = items(int(ITEMS * scale), label)
    sites = organisations(root, int(SCREENS * scale / SCREENS_PER_SITE))
    outlets = [
        Outlet.objects.create(
            name=f"基准栏目{label}-{n}",
            channel="newspaper" if n % 2 else "radio",
            organisation="基准",
            owner=sites[n % len(sites)],
            annual_target=52,
        )
        for n in range(max(int(100 * scale), 2))
    ]
    partners = [
        Partner.objects.create(
            name=f"基准合作方{label}-{n}", contact_name="王", owner=root
        )
        for n in range(max(int(PARTNERS * scale), 1))
    ]
    Method, Metric = ReachRecord.Method, ReachRecord.Metric
    rows: list[ReachRecord] = []
    written = 0

    def add(key: str, **fields) -> None:
        nonlocal written, rows
        rows.append(
            ReachRecord(
                key=f"{label}:{key}", source="基准", confidence="high", **fields
            )
        )
        if len(rows) >= BATCH:
            ReachRecord.objects.bulk_create(rows)
            written, rows = written + len(rows), []

    reads_a_day = SITE_READS * scale / len(pages) / YEAR_DAYS
    for page in pages:
        for day in days:
            add(
                f"site:{day}:{page}",
                page_id=page,
                channel="site",
                organisation=root,
                day=day,
                metric=Metric.READS,
                method=Method.COUNTED,
                value=max(int(rng.gauss(reads_a_day, reads_a_day / 3)), 0),
            )
    for number in range(int(PLACEMENTS * scale)):
        outlet = outlets[number % len(outlets)]
        add(
            f"placement:{number}",
            page_id=pages[number % len(pages)],
            channel=outlet.channel,
            outlet=outlet,
            organisation_id=outlet.owner_id,
            day=days[number % YEAR_DAYS],
            metric=Metric.PEOPLE,
            method=Method.ESTIMATED,
            value=None if number % 50 == 0 else 50_000,
        )
    for site in sites:
        for day in days:
            # A site's loop changes monthly: its items that month, of its own.
            month_rng = random.Random(f"{site.pk}-{day.month}")
            for page in month_rng.sample(pages, ITEMS_PLAYED_A_DAY):
                common = {
                    "page_id": page,
                    "channel": "screens",
                    "organisation": site,
                    "day": day,
                }
                add(
                    f"s:{day}:{site.pk}:{page}:p",
                    metric=Metric.PLAYS,
                    method=Method.COUNTED,
                    value=40,
                    **common,
                )
                add(
                    f"s:{day}:{site.pk}:{page}:s",
                    metric=Metric.SECONDS,
                    method=Method.COUNTED,
                    value=600,
                    **common,
                )
                add(
                    f"s:{day}:{site.pk}:{page}:e",
                    metric=Metric.PEOPLE,
                    method=Method.ESTIMATED,
                    value=30,
                    **common,
                )
    for number in range(int(SHORT_VIDEO_POSTS * scale)):
        add(
            f"sv:{number}",
            page_id=pages[number % len(pages)],
            channel="short_video",
            organisation=root,
            day=days[number % YEAR_DAYS],
            metric=Metric.PLAYS,
            method=Method.IMPORTED,
            value=rng.randint(100, 100_000),
        )
    for partner in partners:
        for day in days:
            add(
                f"pp:{day}:{partner.pk}",
                partner=partner,
                channel="partner",
                organisation=root,
                day=day,
                metric=Metric.PULLS,
                method=Method.COUNTED,
                value=3,
            )
    ReachRecord.objects.bulk_create(rows)
    return written + len(rows)


def run(_var_dir: Path) -> None:
    from content import set_up_demo
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    from cms.organisations import root_organisation
    from reach import rollups
    from reach.models import ReachRecord

    # A log line per timed request would bury the figures.
    logging.getLogger("cms.requests").setLevel(logging.WARNING)
    say("setting up: migrate, collectstatic, load_demo …")
    started = time.monotonic()
    set_up_demo()
    say(f"  done in {time.monotonic() - started:.0f} s")
    say(environment_line())
    root = root_organisation()
    admin = Client(SERVER_NAME=HOST)
    admin.force_login(User.objects.create_superuser("bench-admin"))
    rng = random.Random(20261207)
    query = f"?year=2025&organisation={root.pk}"
    samples: dict[str, dict[str, Sample]] = {}
    for label, scale in (("1/10", 0.1), ("full", 0.9)):
        started = time.monotonic()
        written = ledger_rows(scale, label.replace("/", "-"), root, rng)
        total = ReachRecord.objects.count()
        seconds = time.monotonic() - started
        say(f"{label}: {written:,} records written in {seconds:.0f} s ({total:,} all)")
        started = time.monotonic()
        months = rollups.refresh()
        seconds = time.monotonic() - started
        say(f"  roll-ups of {months} months rebuilt in {seconds:.1f} s")
        report = reverse("reach_report:index")
        samples[label] = {
            **{
                f"report by {g}": measure(admin, f"{report}{query}&by={g}")
                for g in GROUPINGS
            },
            "report XLSX": measure(
                admin,
                reverse("reach_report:export", args=["xlsx"])
                + query
                + "&by=organisation",
            ),
            "year-end page": measure(admin, reverse("reach_year_end:preview") + query),
            "year-end XLSX": measure(
                admin, reverse("reach_year_end:download", args=["xlsx"]) + query
            ),
            "year-end PDF": measure(
                admin, reverse("reach_year_end:download", args=["pdf"]) + query
            ),
        }
    print_samples(samples)


def print_samples(samples: dict[str, dict[str, Sample]]) -> None:
    small, large = list(samples)
    say()
    say(
        f"SQL queries, and the fastest of {TIMED_REPEATS} requests in ms "
        "(in-process, DEBUG off):"
    )
    say(
        f"  {'':<22}{'q ' + small:>8}{'q ' + large:>8}{'ms ' + small:>10}"
        f"{'ms ' + large:>10}{'×':>7}  target"
    )
    failed = False
    for label in samples[small]:
        a, b = samples[small][label], samples[large][label]
        same = a.queries == b.queries
        if label in UNTIMED:
            ok, verdict = same, "queries " + ("same" if same else "GROW")
            verdict += "; no time target"
        else:
            ok = same and b.ms < TARGET_MS
            verdict = "met" if ok else "MISSED"
        failed |= not ok
        say(
            f"  {label:<22}{a.queries:>8}{b.queries:>8}{a.ms:>10.1f}{b.ms:>10.1f}"
            f"{b.ms / a.ms:>7.2f}  {verdict}"
        )
    say()
    say(
        "summary: "
        + (
            "a target MISSED"
            if failed
            else f"same queries at both sizes, all under {TARGET_MS} ms"
        )
    )


if __name__ == "__main__":
    run_benchmark(run)
