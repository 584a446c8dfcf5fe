"""A closed-loop HTTP load generator: a fixed number of keep-alive connections,
each sending its next GET as soon as the previous response has been read."""

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException

REQUEST_TIMEOUT_SECONDS = 30
Headers = dict[str, str] | Callable[[], dict[str, str]]


@dataclass(frozen=True)
class LoadResult:
    ok: int
    failed: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def percentile(self, p: int) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else float("nan")
        return statistics.quantiles(self.latencies_ms, n=100)[p - 1]


@dataclass
class _Tally:
    latencies_ms: list[float]
    failed: int = 0


def _hammer(
    host: str,
    port: int,
    path: str,
    deadline: float,
    tally: _Tally,
    headers: Headers,
) -> None:
    connection = HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                sent = headers() if callable(headers) else headers
                connection.request("GET", path, headers=sent)
                response = connection.getresponse()
                response.read()
            except (OSError, HTTPException):
                connection.close()  # the next request reconnects
                tally.failed += 1
                continue
            if response.status == 200:
                tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                tally.failed += 1
    finally:
        connection.close()


def load(
    host: str,
    port: int,
    path: str,
    seconds: float,
    concurrency: int,
    headers: Headers | None = None,
) -> LoadResult:
    """GET path (with these headers, or those a callable gives for each
    request) over `concurrency` connections for `seconds`; requests still
    in flight at the deadline finish and count."""
    tallies = [_Tally([]) for _ in range(concurrency)]
    started = time.perf_counter()
    deadline = started + seconds
    threads = [
        threading.Thread(
            target=_hammer,
            args=(host, port, path, deadline, tally, headers or {}),
        )
        for tally in tallies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(ms for tally in tallies for ms in tally.latencies_ms)
    return LoadResult(
        ok=len(latencies),
        failed=sum(tally.failed for tally in tallies),
        seconds=time.perf_counter() - started,
        latencies_ms=tuple(latencies),
    )
