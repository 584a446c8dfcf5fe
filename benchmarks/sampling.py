"""What the benchmarks share: printing, and measuring one request in-process."""

import time
from dataclasses import dataclass
from urllib.parse import unquote

TIMED_REPEATS = 5


def report(line: str = "") -> None:
    print(line, flush=True)  # noqa: T201


@dataclass(frozen=True)
class Sample:
    queries: int
    ms: float


def measure(client, path: str) -> Sample:
    """Queries of the second request (the first fills per-process caches) and
    the fastest of the next few, the time least disturbed by other load."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    count = len(queries)  # read now: the next request clears the query log
    if response.status_code != 200:
        raise SystemExit(f"GET {unquote(path)} answered {response.status_code}")
    timings = []
    for _ in range(TIMED_REPEATS):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    return Sample(queries=count, ms=min(timings))
