"""Page-serve and search benchmark over the demo content plus 10,000 generated
articles. Prints SQL queries per rendering as the site grows (they must not
grow with the number of pages) and requests per second under gunicorn,
relative to a static file served by the same server in the same run: the
pages from the page cache (target: home, section and article at least half
the static file's rate) and rendered on every request beside them, and a
keyed partner feed (target: half the static file's rate) beside the public
one and beside the same keyed feed with its key read on every pull.

Run: make bench  (or .venv/bin/python benchmarks/site.py); see README.md.
"""

import time
from collections.abc import Callable
from itertools import count
from pathlib import Path
from urllib.parse import quote, unquote

from corpus import PLANTED, planted_count
from environment import environment_line, run_benchmark
from feed_load import PathSequence, load_sequence
from loadgen import LoadResult, load
from sampling import TIMED_REPEATS, Sample, measure, report
from server import HOST, gunicorn

# Generated articles after each growth step; queries must not grow between the
# last two.
SIZES = {"+1k": 1_000, "+10k": 10_000}
SLOWDOWN_FLAG = 3.0
STATIC_FILE = "cms/site.css"
LOADED_PAGES = ("home", "section index", "article", "search 1/100")
TARGET_PAGES = ("home", "section index", "article")
TARGET_RATIO = 0.5  # cached page or keyed feed ÷ static file
PUBLIC_FEED = "all"  # the demo's public feed
KEYED_FEED = "site-bench-keyed"
PAGE_CACHE = "cms.page_cache.PageCacheMiddleware"
SERVER_WORKERS = 2  # one per core of the machine the figures come from
SERVER_THREADS = 2
CONCURRENCY = 4
WARM_UP_SECONDS = 2
MEASURE_SECONDS = 10  # per target, in ROUNDS turns
ROUNDS = 4


# size label ("demo", "+1k", …) -> page label -> sample
Measurements = dict[str, dict[str, Sample]]


def page_paths(demo) -> dict[str, str]:
    searches = {
        f"search 1/{every}": f"/search/?q={quote(term)}"
        for term, every in PLANTED.items()
    }
    return {
        "home": "/",
        "section index": demo.section.get_url_parts()[2],
        "article": demo.article.get_url_parts()[2],
        **searches,
    }


def measure_all(paths: dict[str, str]) -> dict[str, Sample]:
    """Each page rendered (without the page cache, which would answer the
    repeats with no query at all)."""
    from django.conf import settings
    from django.test import Client, override_settings

    rendering = [name for name in settings.MIDDLEWARE if name != PAGE_CACHE]
    with override_settings(MIDDLEWARE=rendering):
        client = Client(SERVER_NAME=HOST)
        return {label: measure(client, path) for label, path in paths.items()}


def search_hits() -> dict[str, int]:
    from content import search_hits as hits

    return {term: hits(term) for term in PLANTED}


def grow(section, start: int, stop: int) -> None:
    from content import generate_articles

    started = time.monotonic()

    def progress(total: int) -> None:
        report(f"  {total:,} articles, {time.monotonic() - started:.0f} s")

    report(f"generating articles {start:,}–{stop - 1:,} …")
    generate_articles(section, range(start, stop), on_progress=progress)
    report(f"  created and indexed in {time.monotonic() - started:.0f} s")


def grows(measurements: Measurements, label: str) -> bool:
    """More queries at the largest size than at the one before. Counts may
    differ, and even fall, with the mix of page types listed (one query per
    type) or with a search that finds nothing in the demo alone."""
    *_, smaller, largest = measurements.values()
    return largest[label].queries > smaller[label].queries


def report_queries(paths: dict[str, str], measurements: Measurements) -> None:
    sizes = list(measurements)
    report()
    report(
        f"SQL queries per request, and the fastest of {TIMED_REPEATS} requests "
        "in ms (in-process, DEBUG off):"
    )
    report(
        f"  {'page':<15}"
        + "".join(f"{'q ' + size:>8}" for size in sizes)
        + f"  {'grows':<7}"
        + "".join(f"{'ms ' + size:>10}" for size in sizes)
        + "  path"
    )
    for label, path in paths.items():
        samples = [measurements[size][label] for size in sizes]
        growth = "YES" if grows(measurements, label) else "no"
        report(
            f"  {label:<15}"
            + "".join(f"{sample.queries:>8}" for sample in samples)
            + f"  {growth:<7}"
            + "".join(f"{sample.ms:>10.1f}" for sample in samples)
            + f"  {unquote(path)}"
        )


def report_search_hits(hits: dict[str, dict[str, int]], generated: int) -> None:
    report()
    for term, every in PLANTED.items():
        counts = ", ".join(f"{size} {found[term]}" for size, found in hits.items())
        report(
            f"search {term}: planted in {planted_count(term, generated)} of "
            f"{generated:,} generated articles (1 in {every}); results: {counts}"
        )


def load_targets(paths: dict[str, str], key: str) -> dict[str, str]:
    from django.contrib.staticfiles.storage import staticfiles_storage

    static = {"static file": staticfiles_storage.url(STATIC_FILE)}
    pages = {label: paths[label] for label in LOADED_PAGES}
    feeds = {
        "public feed": f"/feeds/{PUBLIC_FEED}/rss.xml",
        "keyed feed": f"/feeds/{KEYED_FEED}/rss.xml?key={key}",
    }
    return static | pages | feeds


def write_static_copies(targets: dict[str, str]) -> dict[str, str]:
    """The bytes of each targeted page and of the public feed, as files
    WhiteNoise serves (it reads STATIC_ROOT when the server starts): the
    yardstick with the same body, by label."""
    from django.conf import settings
    from django.test import Client

    client = Client(SERVER_NAME=HOST)
    copies = {}
    for label in (*TARGET_PAGES, "public feed"):
        name = f"site-bench/{label.replace(' ', '-')}.copy"
        target = Path(settings.STATIC_ROOT) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(client.get(targets[label]).content)
        copies[label] = settings.STATIC_URL + name
    return copies


def uncached(path: str) -> PathSequence:
    """The path with a new query parameter on every request: each one
    misses the page cache and renders."""
    separator = "&" if "?" in path else "?"
    return PathSequence(f"{path}{separator}uncached={n}" for n in count())


Run = Callable[[float], LoadResult]  # load for so many seconds


def fixed(port: int, path: str) -> Run:
    return lambda seconds: load(HOST, port, path, seconds, CONCURRENCY)


def renders(port: int, path: str) -> Run:
    paths = uncached(path)
    return lambda seconds: load_sequence(HOST, port, paths, seconds, CONCURRENCY)


def merged(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        ok=sum(r.ok for r in results),
        failed=sum(r.failed for r in results),
        seconds=sum(r.seconds for r in results),
        latencies_ms=tuple(sorted(ms for r in results for ms in r.latencies_ms)),
    )


def alternating(runs: dict[str, Run]) -> dict[str, LoadResult]:
    """Each run warmed up, then measured in ROUNDS turns taken in rotation,
    so that load from elsewhere on the machine falls on a target and its
    yardsticks alike."""
    for run in runs.values():
        run(WARM_UP_SECONDS)
    turns: dict[str, list[LoadResult]] = {label: [] for label in runs}
    for _round in range(ROUNDS):
        for label, run in runs.items():
            turns[label].append(run(MEASURE_SECONDS / ROUNDS))
    return {label: merged(results) for label, results in turns.items()}


# target label -> (path, result, the static file's rate measured alongside,
# the rate of a static copy of the same bytes measured alongside, or None)
Results = dict[str, tuple[str, LoadResult, float, float | None]]


def throughput(targets: dict[str, str], copies: dict[str, str], log: Path) -> Results:
    report()
    report(
        f"throughput: gunicorn, {SERVER_WORKERS} workers × {SERVER_THREADS} "
        f"threads, {CONCURRENCY} keep-alive connections; each target with its "
        f"yardsticks, {WARM_UP_SECONDS} s warm-up each, then {ROUNDS} rounds "
        f"of {MEASURE_SECONDS / ROUNDS:g} s each in turn …"
    )
    static_path = targets["static file"]
    results: Results = {}
    with gunicorn(SERVER_WORKERS, SERVER_THREADS, static_path, log) as port:
        for label in LOADED_PAGES:
            path = targets[label]
            runs = {"static": fixed(port, static_path)}
            if label in copies:
                runs["same"] = fixed(port, copies[label])
            runs |= {"cached": fixed(port, path), "rendered": renders(port, path)}
            got = alternating(runs)
            static = got["static"].rate
            same = got["same"].rate if "same" in got else None
            results.setdefault(
                "static file", (static_path, got["static"], static, None)
            )
            if same:
                copy = (copies[label], got["same"], static, None)
                results[f"{label}, static copy"] = copy
            results[label] = (path, got["cached"], static, same)
            shown = unquote(path) + " (+ ?uncached=n)"
            results[f"{label} uncached"] = (shown, got["rendered"], static, same)
        feeds = alternating(
            {
                "static": fixed(port, static_path),
                "same": fixed(port, copies["public feed"]),
                "public feed": fixed(port, targets["public feed"]),
                "keyed feed": fixed(port, targets["keyed feed"]),
            }
        )
        static, same = feeds["static"].rate, feeds["same"].rate
        results["public feed, static copy"] = (
            copies["public feed"],
            feeds["same"],
            static,
            None,
        )
        for label in ("public feed", "keyed feed"):
            results[label] = (targets[label], feeds[label], static, same)
    every_pull = {"PARTNERS_KEY_SECONDS": "0"}
    with gunicorn(
        SERVER_WORKERS, SERVER_THREADS, static_path, log, **every_pull
    ) as port:
        got = alternating(
            {
                "static": fixed(port, static_path),
                "same": fixed(port, copies["public feed"]),
                "keyed": fixed(port, targets["keyed feed"]),
            }
        )
        results["keyed, key read every pull"] = (
            targets["keyed feed"],
            got["keyed"],
            got["static"].rate,
            got["same"].rate,
        )
    return results


def report_throughput(results: Results) -> None:
    report(
        f"  {'target':<28}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'failed':>8}"
        f"{'× static':>10}{'× same':>8}  path"
    )
    for label, (path, result, static, same) in results.items():
        versus_same = f"{result.rate / same:>8.3f}" if same else f"{'':>8}"
        report(
            f"  {label:<28}{result.rate:>8.1f}{result.percentile(50):>9.1f}"
            f"{result.percentile(95):>9.1f}{result.failed:>8}"
            f"{result.rate / static:>10.3f}{versus_same}  {unquote(path)}"
        )
    report(
        f"  × static: against {STATIC_FILE}; × same: against a static copy of "
        "the same bytes (the feeds: of the public feed); each measured in turn "
        "with the target (the static file's row: its first measurement). The "
        "last line is a second server with PARTNERS_KEY_SECONDS=0."
    )


def report_growth(measurements: Measurements) -> None:
    demo, *_, largest = measurements.values()
    largest_size = list(measurements)[-1]
    growing = [label for label in demo if grows(measurements, label)]
    steady = [label for label in demo if label not in growing]
    report(f"  queries per request do not grow: {', '.join(steady) or 'none'}")
    for label in demo:
        counts = " → ".join(str(size[label].queries) for size in measurements.values())
        if label in growing:
            report(f"  queries GROW with the number of pages: {label} ({counts})")
        if largest[label].ms > SLOWDOWN_FLAG * demo[label].ms:
            report(
                f"  over {SLOWDOWN_FLAG:.0f}× slower at {largest_size}: {label} "
                f"({demo[label].ms:.1f} → {largest[label].ms:.1f} ms)"
            )


def ratio(results: Results, label: str) -> float:
    _path, result, static, _same = results[label]
    return result.rate / static


def same_bytes_ratio(results: Results, label: str) -> float:
    _path, result, _static, same = results[label]
    return result.rate / same


def met(value: float) -> str:
    return "met" if value >= TARGET_RATIO else "NOT MET"


def report_summary(measurements: Measurements, results: Results) -> None:
    report()
    report("summary:")
    report_growth(measurements)
    report(f"  static file: {results['static file'][1].rate:.0f} req/s")
    for label in LOADED_PAGES:
        cached, rendered = ratio(results, label), ratio(results, f"{label} uncached")
        target = (
            f"; target ≥ {TARGET_RATIO} {met(cached)}" if label in TARGET_PAGES else ""
        )
        same = (
            f" ({same_bytes_ratio(results, label):.3f} × the same bytes)"
            if label in TARGET_PAGES
            else ""
        )
        report(
            f"  {label}: cached {cached:.3f} × static{same}, rendered "
            f"{rendered:.3f} × static{target}"
        )
    keyed = same_bytes_ratio(results, "keyed feed")
    report(
        f"  keyed feed: {keyed:.3f} × the same bytes static, "
        f"{ratio(results, 'keyed feed'):.3f} × {STATIC_FILE}; target ≥ "
        f"{TARGET_RATIO} {met(keyed)} (public feed "
        f"{same_bytes_ratio(results, 'public feed'):.3f}, key read every pull "
        f"{same_bytes_ratio(results, 'keyed, key read every pull'):.3f})"
    )


def run(var_dir: Path) -> None:
    from content import set_up_demo
    from django.db import connections
    from feed_content import create_keyed_feed

    report("setting up: migrate, collectstatic, load_demo …")
    started = time.monotonic()
    demo = set_up_demo()
    report(f"  {demo.summary}")
    report(f"  done in {time.monotonic() - started:.0f} s")
    report(environment_line("gunicorn"))
    key = create_keyed_feed(KEYED_FEED, like=PUBLIC_FEED)
    paths = page_paths(demo)
    measurements, hits = {"demo": measure_all(paths)}, {"demo": search_hits()}
    generated = 0
    for size, total in SIZES.items():
        grow(demo.section, generated, total)
        generated = total
        measurements[size], hits[size] = measure_all(paths), search_hits()
    report_queries(paths, measurements)
    report_search_hits(hits, generated)
    connections.close_all()
    targets = load_targets(paths, key)
    copies = write_static_copies(targets)
    connections.close_all()
    results = throughput(targets, copies, var_dir / "gunicorn.log")
    report_throughput(results)
    report_summary(measurements, results)


if __name__ == "__main__":
    run_benchmark(run)
