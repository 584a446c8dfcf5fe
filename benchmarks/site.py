"""Page-serve and search benchmark over the demo content plus 10,000 generated
articles. Prints SQL queries per request as the site grows (they must not grow
with the number of pages) and requests per second under waitress, relative to a
static file served by the same server in the same run.

Run: make bench  (or .venv/bin/python benchmarks/site.py); see README.md.
"""

import time
from pathlib import Path
from urllib.parse import quote, unquote

from corpus import PLANTED, planted_count
from environment import environment_line, run_benchmark
from loadgen import LoadResult, load
from sampling import TIMED_REPEATS, Sample, measure, report
from server import HOST, waitress

# Generated articles after each growth step; queries must not grow between the
# last two.
SIZES = {"+1k": 1_000, "+10k": 10_000}
SLOWDOWN_FLAG = 3.0
STATIC_FILE = "cms/site.css"
LOADED_PAGES = ("home", "article", "search 1/100")
SERVER_THREADS = 4
CONCURRENCY = 4
WARM_UP_SECONDS = 2
MEASURE_SECONDS = 10


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
    from django.test import Client

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


def load_targets(paths: dict[str, str]) -> dict[str, str]:
    from django.contrib.staticfiles.storage import staticfiles_storage

    static = {"static file": staticfiles_storage.url(STATIC_FILE)}
    return static | {label: paths[label] for label in LOADED_PAGES}


def throughput(targets: dict[str, str], log: Path) -> dict[str, LoadResult]:
    report()
    report(
        f"throughput: waitress with {SERVER_THREADS} threads, {CONCURRENCY} "
        f"keep-alive connections, {WARM_UP_SECONDS} s warm-up + "
        f"{MEASURE_SECONDS} s per target …"
    )
    results = {}
    with waitress(SERVER_THREADS, targets["static file"], log) as port:
        for label, path in targets.items():
            load(HOST, port, path, WARM_UP_SECONDS, CONCURRENCY)
            results[label] = load(HOST, port, path, MEASURE_SECONDS, CONCURRENCY)
    return results


def report_throughput(targets: dict[str, str], results: dict[str, LoadResult]) -> None:
    static = results["static file"].rate
    report(
        f"  {'target':<15}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'failed':>8}"
        f"{'× static':>10}  path"
    )
    for label, result in results.items():
        report(
            f"  {label:<15}{result.rate:>8.1f}{result.percentile(50):>9.1f}"
            f"{result.percentile(95):>9.1f}{result.failed:>8}"
            f"{result.rate / static:>10.3f}  {unquote(targets[label])}"
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


def report_summary(measurements: Measurements, results: dict[str, LoadResult]) -> None:
    report()
    report("summary:")
    report_growth(measurements)
    static = results["static file"].rate
    report(f"  static file: {static:.0f} req/s")
    for label in LOADED_PAGES:
        result = results[label]
        report(
            f"  {label}: {result.rate:.0f} req/s = {result.rate / static:.3f} × "
            f"static (p95 {result.percentile(95):.0f} ms)"
        )


def run(var_dir: Path) -> None:
    from content import set_up_demo
    from django.db import connections

    report("setting up: migrate, collectstatic, load_demo …")
    started = time.monotonic()
    demo = set_up_demo()
    report(f"  {demo.summary}")
    report(f"  done in {time.monotonic() - started:.0f} s")
    report(environment_line("waitress"))
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
    targets = load_targets(paths)
    results = throughput(targets, var_dir / "waitress.log")
    report_throughput(targets, results)
    report_summary(measurements, results)


if __name__ == "__main__":
    run_benchmark(run)
