"""Site reads benchmark: what counting the site's reads (reach.site_reads)
costs a cached page. The same demo article is served from the page cache
by two gunicorn servers of the same settings, one counting reads and one
with REACH_COUNT_SITE_READS=0, loaded in turns with a browser's user
agent, twice: as one visitor reading again and again (repeats are dropped
in memory), and as a new visitor on every request (a new address in
X-Forwarded-For, which both servers read as the client's: every request a
visit to hash and write while it is measured). Target: the counting
server at least 95 % of the other's rate in both (the median of the
rounds' ratios, the server going first alternating). It then checks that the
reads were written: one visit for the one visitor, one per request of the
many.

Run: .venv/bin/python benchmarks/site_reads.py  (DATABASE_URL as for
site.py; see README.md). It builds the same throw-away environment.
"""

import statistics
from itertools import count
from pathlib import Path

from environment import environment_line, run_benchmark
from loadgen import LoadResult, load
from sampling import report as say
from server import HOST, gunicorn

SERVER_WORKERS = 2  # one per core of the machine the figures come from
SERVER_THREADS = 2
CONCURRENCY = 4
WARM_UP_SECONDS = 2
ROUNDS = 8
ROUND_SECONDS = 5
TARGET = 0.95
BROWSER = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"
}


def merged(results: list[LoadResult]) -> LoadResult:
    return LoadResult(
        ok=sum(r.ok for r in results),
        failed=sum(r.failed for r in results),
        seconds=sum(r.seconds for r in results),
        latencies_ms=tuple(sorted(ms for r in results for ms in r.latencies_ms)),
    )


def one_visitor() -> dict[str, str]:
    return {**BROWSER, "X-Forwarded-For": "203.0.113.7"}


_addresses = count()


def new_visitor() -> dict[str, str]:
    n = next(_addresses)
    return {
        **BROWSER,
        "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
    }


def in_turns(
    ports: dict[str, int], path: str, headers
) -> tuple[dict[str, LoadResult], list[float]]:
    """Each server warmed up, then loaded ROUNDS times in rotation, the one
    going first alternating, so that load from elsewhere on the machine
    falls on both alike. Returns each server's merged result and each
    round's ratio (counting ÷ not counting), whose median is the figure:
    one slow stretch of the machine moves one round, not the figure."""
    for port in ports.values():
        load(HOST, port, path, WARM_UP_SECONDS, CONCURRENCY, headers)
    turns: dict[str, list[LoadResult]] = {label: [] for label in ports}
    for round_number in range(ROUNDS):
        order = list(ports.items())
        if round_number % 2:
            order.reverse()
        for label, port in order:
            turns[label].append(
                load(HOST, port, path, ROUND_SECONDS, CONCURRENCY, headers)
            )
    ratios = [
        counting.rate / silent.rate
        for counting, silent in zip(
            turns["counting"], turns["not counting"], strict=True
        )
    ]
    merged_turns = {label: merged(results) for label, results in turns.items()}
    return merged_turns, ratios


def run(var_dir: Path) -> None:
    from content import set_up_demo

    from reach.models import SiteVisit

    say("setting up: migrate, collectstatic, load_demo …")
    demo = set_up_demo()
    say(environment_line())
    path = demo.article.url
    log = var_dir / "gunicorn.log"
    proxied = {"CLIENT_ADDRESS_HEADER": "X-Forwarded-For"}
    results, ratios = {}, {}
    with (
        gunicorn(SERVER_WORKERS, SERVER_THREADS, path, log, **proxied) as counting,
        gunicorn(
            SERVER_WORKERS,
            SERVER_THREADS,
            path,
            log,
            REACH_COUNT_SITE_READS="0",
            **proxied,
        ) as silent,
    ):
        ports = {"counting": counting, "not counting": silent}
        for label, headers in [
            ("one visitor", one_visitor),
            ("new visitors", new_visitor),
        ]:
            results[label], ratios[label] = in_turns(ports, path, headers)
    visits = SiteVisit.objects.filter(page=demo.article).count()
    say()
    say(
        f"{path} from the page cache, gunicorn {SERVER_WORKERS} workers × "
        f"{SERVER_THREADS} threads, {CONCURRENCY} connections, {ROUNDS} turns "
        f"of {ROUND_SECONDS} s each:"
    )
    met = True
    for label, got in results.items():
        say(f"  {label}:")
        for server, result in got.items():
            say(
                f"    {server:<14}{result.rate:>9.0f} req/s  p50 "
                f"{result.percentile(50):.2f} ms  p99 {result.percentile(99):.2f} ms"
                f"  failed {result.failed}"
            )
        ratio = statistics.median(ratios[label])
        met &= ratio >= TARGET
        say(
            f"    counting ÷ not counting, median of the {ROUNDS} rounds: "
            f"{ratio:.3f} (target ≥ {TARGET}; of the totals "
            f"{got['counting'].rate / got['not counting'].rate:.3f})"
        )
        say("    the rounds: " + ", ".join(f"{r:.3f}" for r in ratios[label]))
    say()
    say(
        f"visits written for the article: {visits:,}; the new visitors' measured "
        f"reads alone were {results['new visitors']['counting'].ok:,}"
    )
    met &= visits > results["new visitors"]["counting"].ok
    say("summary: " + ("target met" if met else "target MISSED"))


if __name__ == "__main__":
    run_benchmark(run)
