"""Channels benchmark: the targets report, its exports and the editorial
calendar with 1,000 and then 100,000 placements (SQL queries per request must
not grow with the number of placements), and newspaper packages rendered for
1,000 placements, timed against baselines measured in the same run.

Run: .venv/bin/python benchmarks/channels.py  (DATABASE_URL as for site.py;
see README.md). It builds the same throw-away environment as site.py.
"""

import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from environment import environment_line, run_benchmark
from sampling import TIMED_REPEATS, Sample, measure
from sampling import report as say

HOST = "127.0.0.1"
ARTICLES = 1_000
SIZES = {"1k": 1_000, "100k": 100_000}
BATCH = 5_000
RENDERED = 1_000
DOCX_EVERY = 5  # python-docx alone, timed for every 5th rendered placement
WORKERS = min(2, os.cpu_count() or 1)
# Placement n is at (n × STRIDE) seconds into the year, modulo the year's
# length: spread over every month at each size, and never twice the same time.
STRIDE = 7_919
OUTLETS = (
    ("newspaper", "《求证·科学》", "吉林日报", 30),
    ("newspaper", "《健康周刊》", "长春晚报", 52),
    ("radio", "科学五分钟", "FM 91.6 交通广播", 235),
    ("radio", "科普夜话", "FM 88.0 新闻广播", None),
)


def tag_articles(ids: list[int]) -> None:
    """Give the generated articles topics and audiences, in bulk, so that the
    report's per-audience and per-topic queries have rows to join."""
    from cms.pages import ArticlePage
    from cms.snippets import Audience, Topic

    audiences = list(Audience.objects.values_list("pk", flat=True))
    topics = list(Topic.objects.values_list("pk", flat=True))
    AudienceLink = ArticlePage.audiences.through
    TopicLink = ArticlePage.topics.through
    AudienceLink.objects.bulk_create(
        AudienceLink(articlepage_id=pk, audience_id=audiences[i % len(audiences)])
        for i, pk in enumerate(ids)
    )
    TopicLink.objects.bulk_create(
        TopicLink(articlepage_id=pk, topic_id=topics[i % len(topics)])
        for i, pk in enumerate(ids)
    )


def create_outlets() -> list:
    from channels.models import Outlet

    outlets = []
    for channel, name, organisation, target in OUTLETS:
        outlet = Outlet(
            channel=channel, name=name, organisation=organisation, annual_target=target
        )
        outlet.full_clean()
        outlet.save()
        outlets.append(outlet)
    return outlets


def add_placements(
    page_ids: list[int], outlets: list, year_start: datetime, numbers: range
) -> None:
    """Load data: bulk_create skips Placement.clean(), on purpose, because
    these placements lie in the past and carry final statuses (delivered, or
    every 40th failed); those in the future are planned."""
    from django.db import transaction
    from django.utils import timezone

    from channels.models import Placement

    year_seconds = int(
        (year_start.replace(year=year_start.year + 1) - year_start).total_seconds()
    )
    now = timezone.now()
    for start in range(numbers.start, numbers.stop, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, numbers.stop)):
            when = year_start + timedelta(seconds=n * STRIDE % year_seconds)
            if when > now:
                status, delivered_at = Placement.Status.PLANNED, None
            elif n % 40 == 0:
                status, delivered_at = Placement.Status.FAILED, None
            else:
                status, delivered_at = Placement.Status.DELIVERED, when
            batch.append(
                Placement(
                    page_id=page_ids[n % len(page_ids)],
                    outlet=outlets[n % len(outlets)],
                    scheduled_at=when,
                    status=status,
                    delivered_at=delivered_at,
                )
            )
        with transaction.atomic():
            Placement.objects.bulk_create(batch)


def view_paths(year: int) -> dict[str, str]:
    from django.urls import reverse
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    report = reverse("channel_report:index")
    calendar = reverse("channel_calendar:index")
    return {
        "targets report": f"{report}?year={year}",
        "report CSV": reverse("channel_report:export", args=("csv",)) + f"?year={year}",
        "report XLSX": reverse("channel_report:export", args=("xlsx",))
        + f"?year={year}",
        "calendar month": f"{calendar}?view=month&date={today}",
        "calendar week": f"{calendar}?view=week&date={today}",
        "calendar day": f"{calendar}?view=day&date={today}",
    }


def measure_views(client, paths: dict[str, str]) -> dict[str, Sample]:
    return {label: measure(client, path) for label, path in paths.items()}


def report_views(paths: dict[str, str], samples: dict[str, dict[str, Sample]]) -> bool:
    sizes = list(samples)
    say()
    say(
        f"SQL queries per request, and the fastest of {TIMED_REPEATS} requests "
        "in ms (in-process, DEBUG off, logged-in superuser):"
    )
    say(
        f"  {'view':<16}"
        + "".join(f"{'q ' + size:>8}" for size in sizes)
        + f"  {'grows':<6}"
        + "".join(f"{'ms ' + size:>10}" for size in sizes)
        + "  path"
    )
    growing = False
    for label, path in paths.items():
        counts = [samples[size][label].queries for size in sizes]
        grows = counts[-1] > counts[0]
        growing |= grows
        say(
            f"  {label:<16}"
            + "".join(f"{count:>8}" for count in counts)
            + f"  {'YES' if grows else 'no':<6}"
            + "".join(f"{samples[size][label].ms:>10.1f}" for size in sizes)
            + f"  {path}"
        )
    return growing


def timed(action: Callable[..., object], *args) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


def render_chunk(ids: list[int]) -> list[tuple[float, float | None, float]]:
    """In a worker process: for each placement, seconds for the plain-text copy
    alone, python-docx alone (every DOCX_EVERY-th) and the whole package."""
    from django.db import connections

    from channels.models import Placement
    from channels.newspaper import documents
    from channels.newspaper.adapter import NewspaperAdapter
    from cms.pages import ArticlePage

    adapter = NewspaperAdapter()

    def text_only(item, outlet) -> str:
        return documents.plain_text(adapter.parts(item, outlet))

    def docx_only(item, outlet) -> bytes:
        return documents.docx_bytes(adapter.parts(item, outlet))

    placements = list(
        Placement.objects.filter(pk__in=ids).select_related("outlet").order_by("pk")
    )
    # The generated articles, read before the clock starts.
    items = ArticlePage.objects.select_related("reviewing_expert").in_bulk(
        {placement.page_id for placement in placements}
    )
    first = placements[0]
    adapter.render(items[first.page_id], first.outlet)  # loads WeasyPrint, fonts
    rows = []
    for index, placement in enumerate(placements):
        item, outlet = items[placement.page_id], placement.outlet
        text = timed(text_only, item, outlet)
        docx = timed(docx_only, item, outlet) if index % DOCX_EVERY == 0 else None
        rows.append((text, docx, timed(adapter.render, item, outlet)))
    connections.close_all()
    return rows


def render_newspapers() -> None:
    from django.db import connections

    from channels.models import Placement
    from cms.pages import ArticlePage

    # The generated articles' placements (the demo's newspaper outlet also
    # carries column episodes).
    articles = ArticlePage.objects.values("pk")
    ids = list(
        Placement.objects.filter(outlet__channel="newspaper", page_id__in=articles)
        .order_by("pk")
        .values_list("pk", flat=True)[:RENDERED]
    )
    chunks = [ids[worker::WORKERS] for worker in range(WORKERS)]
    say()
    say(
        f"rendering newspaper packages for {len(ids):,} placements in {WORKERS} "
        "worker processes …"
    )
    connections.close_all()  # the workers are forked: each opens its own
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        rows = [row for chunk in pool.map(render_chunk, chunks) for row in chunk]
    wall = time.monotonic() - started
    text = statistics.mean(row[0] for row in rows)
    docx = statistics.mean(row[1] for row in rows if row[1] is not None)
    full = [row[2] for row in rows]
    mean = statistics.mean(full)
    p95 = statistics.quantiles(full, n=20)[-1]
    docx_count = sum(1 for row in rows if row[1] is not None)
    say(f"  {'per placement':<44}{'mean ms':>10}{'× text':>10}{'× docx':>9}")
    say(f"  {'plain-text copy only (baseline)':<44}{text * 1000:>10.2f}{1:>10.0f}")
    say(
        f"  {f'python-docx alone ({docx_count} of them)':<44}{docx * 1000:>10.1f}"
        f"{docx / text:>10.0f}{1:>9.1f}"
    )
    say(
        f"  {'whole package (txt ×2, DOCX, NITF, PDF)':<44}{mean * 1000:>10.1f}"
        f"{mean / text:>10.0f}{mean / docx:>9.1f}"
    )
    say(
        f"  whole package p95 {p95 * 1000:.0f} ms; wall time {wall:.0f} s for "
        f"{len(rows):,} ({len(rows) / wall:.1f} placements/s with {WORKERS} workers)"
    )


def load_placements(page_ids, outlets, year_start, numbers: range) -> None:
    started = time.monotonic()
    add_placements(page_ids, outlets, year_start, numbers)
    say(
        f"  placements {numbers.start:,}–{numbers.stop - 1:,} bulk-created in "
        f"{time.monotonic() - started:.1f} s"
    )


def run(_var_dir: Path) -> None:
    from content import generate_articles, set_up_demo
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from channels.models import Placement
    from channels.reports import current_year, report_zone, targets_report

    say("setting up: migrate, collectstatic, load_demo …")
    started = time.monotonic()
    demo = set_up_demo()
    say(f"  done in {time.monotonic() - started:.0f} s")
    say(environment_line())
    say(f"generating {ARTICLES:,} articles …")
    started = time.monotonic()
    generate_articles(
        demo.section,
        range(ARTICLES),
        on_progress=lambda total: say(f"  {total:,} articles"),
    )
    page_ids = list(
        demo.section.get_children()
        .filter(slug__startswith="bench-")
        .values_list("pk", flat=True)
    )
    tag_articles(page_ids)
    say(f"  done in {time.monotonic() - started:.0f} s")
    outlets = create_outlets()
    year = current_year()
    year_start = datetime(year, 1, 1, tzinfo=report_zone())
    say(
        f"{len(outlets)} outlets; placements spread over {year} on {len(page_ids):,} "
        "articles, bulk-created (Placement.clean() skipped: load data in the past)"
    )
    admin = User.objects.create_superuser("bench-admin", "bench@example.org", None)
    client = Client(SERVER_NAME=HOST)
    client.force_login(admin)
    paths = view_paths(year)
    samples: dict[str, dict[str, Sample]] = {}
    loaded = 0
    for size, total in SIZES.items():
        load_placements(page_ids, outlets, year_start, range(loaded, total))
        loaded = total
        samples[size] = measure_views(client, paths)
    growing = report_views(paths, samples)
    month = [samples[size]["calendar month"].ms for size in SIZES]
    say(
        f"calendar month at {list(SIZES.values())[-1]:,} placements: "
        f"{month[-1]:.0f} ms (target < 300 ms), {month[-1] / month[0]:.1f} × its "
        f"time at {list(SIZES.values())[0]:,} (baseline)"
    )
    totals = targets_report(year).total.counts
    say(
        f"report at {Placement.objects.count():,} placements: planned "
        f"{totals.planned:,}, delivered {totals.delivered:,}, failed {totals.failed:,}"
        f" (as of {timezone.localtime():%Y-%m-%d %H:%M})"
    )
    render_newspapers()
    say()
    say(
        "summary: queries per request "
        + ("GROW with the number of placements" if growing else "do not grow")
    )


if __name__ == "__main__":
    run_benchmark(run)
