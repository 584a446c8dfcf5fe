"""Big-screen benchmark: 1,000 simulated screens against the real server.

Each screen polls its playlist every 30 s with If-None-Match and sends a
heartbeat every 60 s and a batch of plays every 5 minutes, on a fixed
schedule (an open loop: the offered load does not slow down when the server
does). Prints the sustained request rate against the offered one, latency
per endpoint, the share answered 304, SQL queries per request at 10 and at
1,000 screens (10 and 500 groups), the 开机率/使用率 report's queries and
time for a day, a week and a month read from raw rows and from daily
roll-ups, and the database growth per screen per day (roll-ups, and raw rows
within the retention window apart). Rates are also given
against a static file served by the same server in the same run.

Run: .venv/bin/python benchmarks/screens.py  (DATABASE_URL as for site.py;
SCREENS_BENCH_SECONDS sets the length of the fleet run, 90 by default; see
README.md). It builds the same throw-away environment as site.py.
"""

import json
import os
import time
from pathlib import Path

from environment import environment_line, run_benchmark
from loadgen import load
from sampling import Sample
from sampling import report as say
from screen_fleet import (
    PLAYS_PER_BATCH,
    SCREENS,
    Fleet,
    change_the_loop,
    grow_fleet,
    heartbeat_body,
    play_batch,
    small_fleet,
)
from screen_growth import (
    Growth,
    RollupGrowth,
    measure_growth,
    measure_rollup_growth,
    yesterday_at,
)
from screen_players import (
    ANSWERED,
    CAPACITY_CONNECTIONS,
    CLIENT_THREADS,
    HEARTBEAT,
    HEARTBEAT_SECONDS,
    KEPT_UP_LAG_SECONDS,
    PLAYLIST,
    PLAYS,
    PLAYS_SECONDS,
    POLL_SECONDS,
    RunFigures,
    hammer,
    play_schedule,
    prime,
    run_figures,
)
from server import HOST, gunicorn

STATIC_FILE = "cms/site.css"
RUN_SECONDS = int(os.environ.get("SCREENS_BENCH_SECONDS", "90"))
SERVER_WORKERS = 2  # one per core of the machine the figures come from
SERVER_THREADS = 2
CAPACITY_SECONDS = 8
CAPACITY_KINDS = ("playlist 304", "playlist 200", "heartbeat")
TIMED_REPEATS = 3
REPORTS = "/admin/big-screen/reports/"
REPORT_TARGET_MS = 300
# The issue's target is the reports' pages; the exports are printed beside.
TARGETED_REPORTS = ("report day", "report week", "report month")

# size label -> request label -> sample
Measurements = dict[str, dict[str, Sample]]


# In-process queries -------------------------------------------------------------------


def sample(call) -> Sample:
    """Queries of the second call (the first fills per-process caches) and the
    fastest of a few more; fails the run on an error status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    with CaptureQueriesContext(connection) as queries:
        response = call()
    count = len(queries)
    if response.status_code not in ANSWERED:
        raise SystemExit(f"{response.request['PATH_INFO']}: {response.status_code}")
    timings = []
    for _ in range(TIMED_REPEATS):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return Sample(queries=count, ms=min(timings))


def admin_client():
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(SERVER_NAME=HOST)
    user, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client.force_login(user)
    return client


def measure_requests(fleet: Fleet) -> dict[str, Sample]:
    from django.test import Client

    _pk, token = fleet.screens[0]
    client = Client(SERVER_NAME=HOST, HTTP_AUTHORIZATION=f"Bearer {token}")
    etag = client.get(PLAYLIST)["ETag"]
    admin = admin_client()

    def post(path: str, body: dict):
        return client.post(path, json.dumps(body), content_type="application/json")

    return {
        "playlist 200": sample(lambda: client.get(PLAYLIST)),
        "playlist 304": sample(lambda: client.get(PLAYLIST, HTTP_IF_NONE_MATCH=etag)),
        "heartbeat": sample(lambda: post(HEARTBEAT, heartbeat_body(fleet.items))),
        f"plays ({PLAYS_PER_BATCH})": sample(
            lambda: post(PLAYS, play_batch(fleet.items))
        ),
        "report week": sample(lambda: admin.get(REPORTS + "?period=week")),
    }


def timed_reports() -> dict[str, Sample]:
    admin = admin_client()
    day = yesterday_at(8).date().isoformat()
    queries = {
        "report day": f"?period=day&date={day}",
        "report week": f"?period=week&date={day}",
        "report month": f"?period=month&date={day}",
        "CSV day": f"export.csv?period=day&date={day}",
        "XLSX month": f"export.xlsx?period=month&date={day}",
    }
    return {
        label: sample(lambda query=query: admin.get(REPORTS + query))
        for label, query in queries.items()
    }


# Reporting ----------------------------------------------------------------------------


def grows(measurements: Measurements, label: str) -> bool:
    first, *_, largest = measurements.values()
    return largest[label].queries > first[label].queries


def report_queries(measurements: Measurements, sizes: dict[str, str]) -> None:
    labels = list(measurements)
    say()
    say(
        "SQL queries per request, and the fastest of "
        f"{TIMED_REPEATS} in-process requests in ms (DEBUG off):"
    )
    say(
        f"  {'request':<14}"
        + "".join(f"{'q ' + size:>14}" for size in labels)
        + f"  {'grows':<6}"
        + "".join(f"{'ms ' + size:>15}" for size in labels)
    )
    for label in measurements[labels[0]]:
        samples = [measurements[size][label] for size in labels]
        say(
            f"  {label:<14}"
            + "".join(f"{s.queries:>14}" for s in samples)
            + f"  {'YES' if grows(measurements, label) else 'no':<6}"
            + "".join(f"{s.ms:>15.1f}" for s in samples)
        )
    say("  sizes: " + "; ".join(f"{size} = {text}" for size, text in sizes.items()))


def screens_served(capacity: dict[str, tuple[float, float]]) -> float:
    """Screens the server could serve at its closed-loop rates: each screen
    costs a 304 poll per POLL_SECONDS and a heartbeat per HEARTBEAT_SECONDS
    (plays, every PLAYS_SECONDS, left out)."""
    poll_rate, _p95 = capacity["playlist 304"]
    heartbeat_rate, _p95 = capacity["heartbeat"]
    per_screen = 1 / (POLL_SECONDS * poll_rate) + 1 / (
        HEARTBEAT_SECONDS * heartbeat_rate
    )
    return 1 / per_screen


def report_capacity(capacity: dict[str, tuple[float, float]], static: float) -> None:
    say(f"  {'target':<14}{'req/s':>8}{'p95 ms':>9}{'× static':>10}")
    for label, (rate, p95) in capacity.items():
        say(f"  {label:<14}{rate:>8.1f}{p95:>9.1f}{rate / static:>10.3f}")
    say(
        f"  at these rates the server could serve about "
        f"{screens_served(capacity):,.0f} screens (a 304 poll every "
        f"{POLL_SECONDS} s and a heartbeat every {HEARTBEAT_SECONDS} s each)"
    )


def report_run(figures: RunFigures, static: float) -> None:
    say(
        f"  offered {figures.offered:.1f} req/s, sustained {figures.sustained:.1f} "
        f"req/s ({figures.sustained / static:.3f} × static); failed {figures.failed}"
    )
    say(
        f"  sent on schedule (≤ {KEPT_UP_LAG_SECONDS:.0f} s late): "
        f"{figures.kept_up:.1%}; p95 lateness {figures.lag_p95 * 1000:.0f} ms"
    )
    say(
        f"  playlist polls answered 304: {figures.not_modified:.1%} of those sent "
        f"before the change, {figures.not_modified_after:.1%} after it (each "
        "screen fetches the new loop once)"
    )
    say(f"  {'endpoint':<14}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}")
    for label, (count, p50, p95) in figures.latency.items():
        say(f"  {label:<14}{count:>10}{p50:>9.1f}{p95:>9.1f}")


def report_growth(growth: Growth) -> None:
    say(
        f"  heartbeat: {growth.heartbeat_bytes:.0f} bytes per row "
        f"({growth.heartbeats:,} rows); play record: {growth.play_bytes:.0f} bytes "
        f"per row ({growth.plays:,} rows); rows, indexes and page overhead"
    )
    say(
        f"  a loop item lasts {growth.seconds_per_item:.1f} s on average: "
        f"{12 * 3600 / growth.seconds_per_item:,.0f} plays in 12 opening hours"
    )
    for label, open_hours, on_hours in (
        ("open 12 h, player on 24 h", 12, 24),
        ("open 12 h, player on 12 h", 12, 12),
    ):
        per_day = growth.per_screen_day(open_hours, on_hours)
        yearly = per_day * 365 * SCREENS / 1024**3
        say(
            f"  {label}: {per_day / 1024:,.0f} KiB per screen per day; "
            f"{yearly:,.1f} GiB per {SCREENS:,} screens per year"
        )


def report_reports(
    raw: dict[str, Sample],
    rolled: dict[str, Sample],
    growth: Growth,
    rollup: RollupGrowth,
    fleet: Fleet,
) -> None:
    say()
    say(
        f"开机率/使用率 report of yesterday's day, week and month, "
        f"{len(fleet.screens):,} screens, {fleet.groups} groups (in-process, "
        f"fastest of {TIMED_REPEATS}); today always reads its raw rows:"
    )
    say(
        f"  raw: yesterday read from its {growth.heartbeats:,} heartbeats and "
        f"{growth.plays:,} plays (no earlier days)"
    )
    say(
        f"  roll-ups: yesterday rolled up by the job in {rollup.roll_up_seconds:.1f} s,"
        f" its roll-ups copied to the {rollup.copied_days} days before"
    )
    header = f"{'q raw':>7}{'ms raw':>9}{'q roll-ups':>12}{'ms roll-ups':>13}"
    say(f"  {'request':<14}{header}")
    for label, measured in rolled.items():
        before = raw[label]
        verdict = "ok" if measured.ms < REPORT_TARGET_MS else "OVER"
        target = f"  {verdict} (target < {REPORT_TARGET_MS} ms)"
        say(
            f"  {label:<14}{before.queries:>7}{before.ms:>9.0f}{measured.queries:>12}"
            f"{measured.ms:>13.0f}{target if label in TARGETED_REPORTS else ''}"
        )


def report_rollup_growth(growth: Growth, rollup: RollupGrowth) -> None:
    from django.conf import settings

    retention = settings.SCREENS_RAW_RETENTION_DAYS
    raw_day = growth.per_screen_day(12, 24)
    say(
        f"  roll-ups (kept for ever): {rollup.screen_day_bytes:.0f} bytes per screen"
        f" day, {rollup.play_day_bytes:.0f} bytes per source played "
        f"({rollup.sources_per_day} in a loop): "
        f"{rollup.per_screen_day / 1024:,.1f} KiB per screen per day "
        f"(target ≤ 60 KiB); {rollup.per_screen_day * 365 * SCREENS / 1024**3:,.2f}"
        f" GiB per {SCREENS:,} screens per year"
    )
    say(
        f"  raw rows within the {retention}-day retention window (player on 24 h): "
        f"{raw_day / 1024:,.0f} KiB per screen per day, at most "
        f"{raw_day * retention * SCREENS / 1024**3:,.1f} GiB for {SCREENS:,} screens"
        " (then deleted)"
    )


def report_summary(
    measurements: Measurements,
    capacity: dict[str, tuple[float, float]],
    figures: RunFigures,
    growth: Growth,
    rollup: RollupGrowth,
    rolled: dict[str, Sample],
) -> None:
    from django.conf import settings

    say()
    say("summary:")
    say(
        f"  {SCREENS:,} screens: {figures.sustained:.1f} req/s sustained of "
        f"{figures.offered:.1f} offered, {figures.kept_up:.1%} sent on schedule; "
        f"304 share {figures.not_modified:.1%} (steady), "
        f"{figures.not_modified_after:.1%} (after a change)"
    )
    for label, (_count, _p50, p95) in figures.latency.items():
        say(f"  {label} p95 {p95:.0f} ms")
    served = screens_served(capacity)
    say(f"  capacity at closed-loop rates: about {served:,.0f} screens")
    growing = [
        label for label in measurements["10 screens"] if grows(measurements, label)
    ]
    say(f"  queries grow with screens and groups: {', '.join(growing) or 'none'}")
    say(
        "  database growth per screen per day after roll-up: "
        f"{rollup.per_screen_day / 1024:,.1f} KiB (target ≤ 60 KiB); raw rows, "
        f"kept {settings.SCREENS_RAW_RETENTION_DAYS} days: "
        f"{growth.per_screen_day(12, 24) / 1024:,.0f} KiB (player on 24 h)"
    )
    slowest = max(rolled[label].ms for label in TARGETED_REPORTS)
    say(
        f"  report pages from roll-ups: slowest {slowest:.0f} ms "
        f"(target < {REPORT_TARGET_MS} ms)"
    )


# Under load ---------------------------------------------------------------------------


def capacity_phase(port: int, fleet: Fleet, static_path: str):
    """The static file's rate, then each kind of call's closed-loop rate."""
    load(HOST, port, static_path, 2, CAPACITY_CONNECTIONS)
    static = load(HOST, port, static_path, CAPACITY_SECONDS, CAPACITY_CONNECTIONS)
    say(f"  static file: {static.rate:.0f} req/s (the yardstick)")
    say(
        f"closed-loop capacity, {CAPACITY_CONNECTIONS} keep-alive connections, "
        f"{CAPACITY_SECONDS} s each:"
    )
    capacity = {
        kind: hammer(port, fleet, kind, CAPACITY_SECONDS) for kind in CAPACITY_KINDS
    }
    report_capacity(capacity, static.rate)
    return static.rate, capacity


def fleet_phase(port: int, fleet: Fleet, static: float) -> RunFigures:
    say()
    say(f"booting {len(fleet.screens):,} screens (first playlist, 200) …")
    etags = prime(port, fleet)
    say(
        f"{len(fleet.screens):,} screens for {RUN_SECONDS} s: playlist every "
        f"{POLL_SECONDS} s, heartbeat every {HEARTBEAT_SECONDS} s, "
        f"{PLAYS_PER_BATCH} plays every {PLAYS_SECONDS} s, over "
        f"{CLIENT_THREADS} keep-alive connections; an item is added to the "
        "province half-way …"
    )
    outcomes, seconds, changed_at = play_schedule(
        port, fleet, etags, RUN_SECONDS, change_the_loop(fleet)
    )
    figures = run_figures(outcomes, seconds, RUN_SECONDS, changed_at)
    report_run(figures, static)
    return figures


def under_load(fleet: Fleet, log: Path) -> tuple[dict, RunFigures]:
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.db import connections

    connections.close_all()
    static_path = staticfiles_storage.url(STATIC_FILE)
    say()
    say(
        f"serving with gunicorn ({SERVER_WORKERS} workers × {SERVER_THREADS} "
        f"threads) on {HOST} …"
    )
    with gunicorn(SERVER_WORKERS, SERVER_THREADS, static_path, log) as port:
        static, capacity = capacity_phase(port, fleet, static_path)
        figures = fleet_phase(port, fleet, static)
    return capacity, figures


# The run ------------------------------------------------------------------------------


def run(var_dir: Path) -> None:
    from content import set_up_demo

    say("setting up: migrate, collectstatic, load_demo …")
    started = time.monotonic()
    demo = set_up_demo()
    say(f"  {demo.summary}")
    say(f"  done in {time.monotonic() - started:.0f} s")
    say(environment_line("gunicorn"))
    fleet, sites, image = small_fleet()
    sizes = {"10 screens": f"{fleet.groups} groups, {len(fleet.screens)} screens"}
    measurements = {"10 screens": measure_requests(fleet)}
    grow_fleet(fleet, sites, image)
    sizes["1k screens"] = f"{fleet.groups} groups, {len(fleet.screens):,} screens"
    measurements["1k screens"] = measure_requests(fleet)
    report_queries(measurements, sizes)
    capacity, figures = under_load(fleet, var_dir / "gunicorn.log")
    growth = measure_growth(fleet)
    report_growth(growth)
    raw = timed_reports()
    rollup = measure_rollup_growth(fleet)
    report_rollup_growth(growth, rollup)
    rolled = timed_reports()
    report_reports(raw, rolled, growth, rollup, fleet)
    report_summary(measurements, capacity, figures, growth, rollup, rolled)


if __name__ == "__main__":
    run_benchmark(run)
