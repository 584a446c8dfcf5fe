"""Partner-feed benchmark over the demo content plus 100,000 generated
articles. Prints SQL queries per feed request at 1,000 and at 100,000 items
(they must not grow), requests per second for the public feed `all` cached
and uncached and for a keyed partner feed under gunicorn, relative to a
static file of the same bytes served by the same server in the same run
(target: the cached feed at least half the static file's rate), and the
time from a reviewer's approval publishing an article to the article being
in the feed.

Run: .venv/bin/python benchmarks/feeds.py  (DATABASE_URL as for site.py;
see README.md). It builds the same throw-away environment as site.py.
"""

import statistics
import time
from math import ceil
from pathlib import Path

from environment import environment_line, run_benchmark
from feed_load import PathSequence, load_sequence, wait_for
from loadgen import LoadResult, load
from sampling import TIMED_REPEATS, Sample, measure
from sampling import report as say
from server import HOST, gunicorn

SIZES = {"1k": 1_000, "100k": 100_000}  # generated articles at each step
FEED = "all"  # the demo's public feed of everything published
KEYED_FEED = "feed-bench-keyed"
FORMATS = ("rss.xml", "atom.xml", "feed.json", "podcast.xml", "mrss.xml")
STATIC_COPY = "feed-bench/all-rss.xml"  # under STATIC_ROOT
TARGET_RATIO = 0.5  # cached feed ÷ static file
SERVER_WORKERS = 2  # one per core of the machine the figures come from
SERVER_THREADS = 2
CONCURRENCY = 4
WARM_UP_SECONDS = 2
MEASURE_SECONDS = 10
PUBLISH_SAMPLES = 5
PUBLISH_TIMEOUT_SECONDS = 60

# size label -> request label -> sample
Measurements = dict[str, dict[str, Sample]]


def feed_path(slug: str, fmt: str = "rss.xml", page: int = 1, key: str = "") -> str:
    query = [f"page={page}"] if page > 1 else []
    query += [f"key={key}"] if key else []
    return f"/feeds/{slug}/{fmt}" + ("?" + "&".join(query) if query else "")


# In-process queries -------------------------------------------------------------------


def forget_rendering(slug: str, fmt: str, page: int) -> str:
    """Deletes this page's cached rendering (as views.serve_feed keys it for
    a request to HOST over http); returns the cache key."""
    from django.core.cache import cache

    from feeds.caching import cache_key, current_fingerprint
    from feeds.models import FeedDefinition

    feed = FeedDefinition.objects.get(slug=slug)
    variant = f"{fmt}:{page}:http:{HOST}"
    key = cache_key(feed, variant, current_fingerprint())
    cache.delete(key)
    return key


def uncached(client, slug: str, fmt: str, page: int) -> Sample:
    """Like sampling.measure, with this page's cached rendering deleted before
    each request: the queries and time of a cache miss."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partners.pull_log import flush_pull_logs

    path = feed_path(slug, fmt, page)
    client.get(path)
    key = forget_rendering(slug, fmt, page)
    flush_pull_logs()  # its bulk write belongs to no one request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    count = len(queries)
    if response.status_code != 200 or cache.get(key) is None:
        raise SystemExit(
            f"GET {path} answered {response.status_code} or was not cached under "
            "the key forget_rendering() computes: update it to views.serve_feed"
        )
    timings = []
    for _ in range(TIMED_REPEATS):
        forget_rendering(slug, fmt, page)
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    return Sample(queries=count, ms=min(timings))


def measure_requests(key: str, last_page: int) -> dict[str, Sample]:
    from django.test import Client

    from partners.pull_log import flush_pull_logs

    client = Client(SERVER_NAME=HOST)
    flush_pull_logs()
    samples = {
        "rss cached": measure(client, feed_path(FEED)),
        "keyed cached": measure(client, feed_path(KEYED_FEED, key=key)),
    }
    for fmt in FORMATS:
        samples[f"{fmt} uncached"] = uncached(client, FEED, fmt, 1)
    samples["rss last page"] = uncached(client, FEED, "rss.xml", last_page)
    return samples


def report_queries(measurements: Measurements, last_pages: dict[str, int]) -> None:
    sizes = list(measurements)
    say()
    say(
        f"SQL queries per feed request, and the fastest of {TIMED_REPEATS} "
        "in-process requests in ms (DEBUG off; uncached: the page's cached "
        "rendering deleted before each request):"
    )
    say(
        f"  {'request':<18}"
        + "".join(f"{'q ' + size:>8}" for size in sizes)
        + f"  {'grows':<6}"
        + "".join(f"{'ms ' + size:>10}" for size in sizes)
    )
    for label in measurements[sizes[0]]:
        samples = [measurements[size][label] for size in sizes]
        grows = "YES" if samples[-1].queries > samples[0].queries else "no"
        say(
            f"  {label:<18}"
            + "".join(f"{sample.queries:>8}" for sample in samples)
            + f"  {grows:<6}"
            + "".join(f"{sample.ms:>10.1f}" for sample in samples)
        )
    pages = ", ".join(f"{size}: page {page:,}" for size, page in last_pages.items())
    say(f"  last page of /feeds/{FEED}/rss.xml: {pages}")


# Content ------------------------------------------------------------------------------


def grow(section, start: int, stop: int) -> None:
    """Generated articles start … stop-1, then the feeds' generation bumped:
    load data leaves no page log entry, so nothing else would tell the feed
    cache (the signals bump it for changes Wagtail does not log)."""
    from feed_content import check_generated, generate_articles

    from feeds.models import FeedGeneration

    started = time.monotonic()

    def progress(done: int) -> None:
        if done % 20_000 == 0:
            say(f"  {done:,} articles, {time.monotonic() - started:.0f} s")

    say(f"generating articles {start:,}–{stop - 1:,} …")
    generate_articles(section, range(start, stop), on_progress=progress)
    FeedGeneration.bump()
    seconds = time.monotonic() - started
    say(f"  created in {seconds:.0f} s ({(stop - start) / seconds:,.0f} per s)")
    say(f"  {check_generated(section, stop)}")


def last_page() -> int:
    from feeds.models import FeedDefinition
    from feeds.selection import feed_pages

    feed = FeedDefinition.objects.get(slug=FEED)
    return ceil(feed_pages(feed).count() / feed.item_count)


# Under load ---------------------------------------------------------------------------


def write_static_copy() -> str:
    """The public feed's first page, rendered in-process, as a file that
    WhiteNoise serves (it reads STATIC_ROOT when the server starts)."""
    from django.conf import settings
    from django.test import Client

    body = Client(SERVER_NAME=HOST).get(feed_path(FEED)).content
    target = Path(settings.STATIC_ROOT) / STATIC_COPY
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)
    return settings.STATIC_URL + STATIC_COPY


def body_size(port: int, path: str) -> int:
    from http.client import HTTPConnection

    connection = HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path)
        return len(connection.getresponse().read())
    finally:
        connection.close()


def timed_load(port: int, path: str) -> LoadResult:
    load(HOST, port, path, WARM_UP_SECONDS, CONCURRENCY)
    return load(HOST, port, path, MEASURE_SECONDS, CONCURRENCY)


def uncached_load(port: int, pages: int) -> tuple[LoadResult, bool]:
    """Archive pages 2, 3, … each requested once: every request renders.
    Returns the result and whether the pages ran out before the time did."""
    paths = PathSequence(feed_path(FEED, page=n) for n in range(2, pages + 1))
    load_sequence(HOST, port, paths, WARM_UP_SECONDS, CONCURRENCY)
    result = load_sequence(HOST, port, paths, MEASURE_SECONDS, CONCURRENCY)
    return result, paths.ran_out


def throughput(port: int, targets: dict[str, str], pages: int) -> dict[str, LoadResult]:
    results = {label: timed_load(port, path) for label, path in targets.items()}
    results["uncached feed"], ran_out = uncached_load(port, pages)
    if ran_out:
        say(f"  the {pages:,} archive pages ran out: the uncached rate is short")
    return results


def report_throughput(
    targets: dict[str, str], results: dict[str, LoadResult], sizes: dict[str, int]
) -> None:
    static = results["static file"].rate
    say(
        f"  {'target':<15}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'failed':>8}"
        f"{'× static':>10}{'bytes':>9}  path"
    )
    for label, result in results.items():
        say(
            f"  {label:<15}{result.rate:>8.1f}{result.percentile(50):>9.1f}"
            f"{result.percentile(95):>9.1f}{result.failed:>8}"
            f"{result.rate / static:>10.3f}{sizes[label]:>9,}  {targets[label]}"
        )


def publish_latency(port: int, section) -> list[tuple[float, float, int]]:
    """(approval ms, then ms until the item is in the feed, polls) per sample:
    the reviewer approves a submitted article, which publishes it; then the
    feed is polled back to back over HTTP until the article's GUID is in it."""
    from feed_content import publish_reviewed

    from feeds.items import item_guid

    samples = []
    for number in range(PUBLISH_SAMPLES):
        page, approve = publish_reviewed(section, number)
        started = time.perf_counter()
        approve()
        approval = time.perf_counter() - started
        needle = item_guid(page.pk).encode()
        seconds, polls = wait_for(
            HOST, port, feed_path(FEED), needle, PUBLISH_TIMEOUT_SECONDS
        )
        samples.append((approval * 1000, seconds * 1000, polls))
        time.sleep(1)
    return samples


def report_publish(samples: list[tuple[float, float, int]]) -> None:
    say(f"  {'sample':<8}{'approve ms':>12}{'→ in feed ms':>14}{'polls':>7}")
    for number, (approval, visible, polls) in enumerate(samples, start=1):
        say(f"  {number:<8}{approval:>12.0f}{visible:>14.0f}{polls:>7}")


def under_load(section, key: str, pages: int, log: Path) -> tuple[dict, list]:
    from django.db import connections

    static_path = write_static_copy()
    connections.close_all()
    targets = {
        "static file": static_path,
        "cached feed": feed_path(FEED),
        "keyed cached": feed_path(KEYED_FEED, key=key),
    }
    say()
    say(
        f"throughput: gunicorn, {SERVER_WORKERS} workers × {SERVER_THREADS} "
        f"threads, {CONCURRENCY} "
        f"keep-alive connections, {WARM_UP_SECONDS} s warm-up + {MEASURE_SECONDS} s "
        "per target; uncached: archive pages 2, 3, … each once …"
    )
    with gunicorn(SERVER_WORKERS, SERVER_THREADS, static_path, log) as port:
        sizes = {label: body_size(port, path) for label, path in targets.items()}
        sizes["uncached feed"] = body_size(port, feed_path(FEED, page=pages))
        results = throughput(port, targets, pages)
        shown = targets | {"uncached feed": feed_path(FEED, page=2) + "…"}
        report_throughput(shown, results, sizes)
        say()
        say(
            f"publish → in the feed: {PUBLISH_SAMPLES} articles approved by the "
            f"reviewer, /feeds/{FEED}/rss.xml polled back to back meanwhile …"
        )
        publishing = publish_latency(port, section)
        report_publish(publishing)
    return results, publishing


# Reporting ----------------------------------------------------------------------------


def report_summary(
    measurements: Measurements,
    results: dict[str, LoadResult],
    publishing: list[tuple[float, float, int]],
) -> None:
    first, *_, largest = measurements.values()
    sizes = " → ".join(measurements)
    static = results["static file"].rate
    cached = results["cached feed"].rate / static
    say()
    say("summary:")
    say(
        f"  cached feed {cached:.2f} × static file: target ≥ {TARGET_RATIO:.2f} "
        + ("met" if cached >= TARGET_RATIO else "NOT MET")
    )
    for label in ("keyed cached", "uncached feed"):
        rate = results[label].rate
        say(f"  {label}: {rate:.0f} req/s = {rate / static:.3f} × static")
    for label in ("rss cached", "rss.xml uncached", "rss last page"):
        counts = f"{first[label].queries} → {largest[label].queries}"
        steady = (
            "constant" if largest[label].queries <= first[label].queries else "GROW"
        )
        say(f"  SQL queries {label} ({sizes} items): {counts}, {steady}")
    visible = [ms for _approval, ms, _polls in publishing]
    total = [approval + ms for approval, ms, _polls in publishing]
    say(
        f"  publish → in feed: median {statistics.median(visible):.0f} ms after the "
        f"approval returned (max {max(visible):.0f}); approval included: median "
        f"{statistics.median(total):.0f} ms"
    )


# The run ------------------------------------------------------------------------------


def run(var_dir: Path) -> None:
    from content import set_up_demo
    from feed_content import create_keyed_feed

    from partners.pull_log import flush_pull_logs

    say("setting up: migrate, collectstatic, load_demo …")
    started = time.monotonic()
    demo = set_up_demo()
    say(f"  {demo.summary}")
    say(f"  done in {time.monotonic() - started:.0f} s")
    say(environment_line("gunicorn"))
    key = create_keyed_feed(KEYED_FEED, like=FEED)
    measurements: Measurements = {}
    last_pages: dict[str, int] = {}
    generated = 0
    for size, total in SIZES.items():
        grow(demo.section, generated, total)
        generated = total
        last_pages[size] = last_page()
        measurements[size] = measure_requests(key, last_pages[size])
    report_queries(measurements, last_pages)
    largest = list(SIZES)[-1]
    results, publishing = under_load(
        demo.section, key, last_pages[largest], var_dir / "gunicorn.log"
    )
    report_summary(measurements, results, publishing)
    flush_pull_logs()  # this process's pulls, before its database goes


if __name__ == "__main__":
    run_benchmark(run)
