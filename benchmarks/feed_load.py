"""HTTP clients for the feed benchmark: a closed-loop load that sends each
request to the next path of a sequence (every archive page once, so that no
request is answered from the cache), and a poller that waits for an item to
appear in a feed. Results are loadgen.LoadResult, as for a single path."""

import threading
import time
from collections.abc import Iterator
from http.client import HTTPConnection, HTTPException

from loadgen import REQUEST_TIMEOUT_SECONDS, LoadResult


class PathSequence:
    """Hands out the paths one by one to any number of threads."""

    def __init__(self, paths: Iterator[str]):
        self._paths = paths
        self._lock = threading.Lock()
        self.ran_out = False

    def next(self) -> str | None:
        with self._lock:
            path = next(self._paths, None)
            self.ran_out = self.ran_out or path is None
            return path


def _hammer(
    host: str, port: int, paths: PathSequence, deadline: float, tally: list
) -> None:
    """Appends each request's latency in ms, or None for a failure."""
    connection = HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        while time.perf_counter() < deadline and (path := paths.next()) is not None:
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
            except (OSError, HTTPException):
                connection.close()  # the next request reconnects
                tally.append(None)
                continue
            ok = response.status == 200
            tally.append((time.perf_counter() - started) * 1000 if ok else None)
    finally:
        connection.close()


def load_sequence(
    host: str, port: int, paths: PathSequence, seconds: float, concurrency: int
) -> LoadResult:
    """GET the next path of the sequence over `concurrency` connections for
    `seconds` (or until the sequence runs out)."""
    tallies: list[list] = [[] for _ in range(concurrency)]
    started = time.perf_counter()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_hammer, args=(host, port, paths, deadline, tally))
        for tally in tallies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = [ms for tally in tallies for ms in tally]
    latencies = sorted(ms for ms in outcomes if ms is not None)
    return LoadResult(
        ok=len(latencies),
        failed=len(outcomes) - len(latencies),
        seconds=time.perf_counter() - started,
        latencies_ms=tuple(latencies),
    )


def wait_for(
    host: str, port: int, path: str, needle: bytes, timeout: float
) -> tuple[float, int]:
    """GET path back to back until the body holds needle: (seconds from the
    call until that response was read, requests sent). Raises on timeout."""
    connection = HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
    started = time.perf_counter()
    requests = 0
    try:
        while time.perf_counter() - started < timeout:
            connection.request("GET", path)
            body = connection.getresponse().read()
            requests += 1
            if needle in body:
                return time.perf_counter() - started, requests
    finally:
        connection.close()
    raise RuntimeError(f"{needle!r} did not appear in {path} within {timeout:.0f} s")
