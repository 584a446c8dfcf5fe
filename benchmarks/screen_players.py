"""Simulated screen players: every screen's calls on a fixed schedule (an
open loop: the offered load does not slow down when the server does), sent
over a pool of keep-alive connections, and a closed-loop capacity test."""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException

from screen_fleet import Fleet, heartbeat_body, play_batch
from server import HOST

POLL_SECONDS, HEARTBEAT_SECONDS, PLAYS_SECONDS = 30, 60, 300
PERIODS = {"playlist": POLL_SECONDS, "heartbeat": HEARTBEAT_SECONDS}
PERIODS["plays"] = PLAYS_SECONDS
CLIENT_THREADS = 20
CAPACITY_CONNECTIONS = 4
CAPACITY_SCREENS = 50  # the screens the capacity test takes in turn
KEPT_UP_LAG_SECONDS = 1.0
PLAYLIST = "/api/screens/playlist/"
HEARTBEAT = "/api/screens/heartbeat/"
PLAYS = "/api/screens/plays/"
ANSWERED = (200, 204, 304)


@dataclass(frozen=True)
class Call:
    due: float  # seconds after the start
    kind: str  # "playlist", "heartbeat" or "plays"
    screen: int  # index into the fleet


@dataclass(frozen=True)
class Outcome:
    kind: str
    status: int
    ms: float
    due: float  # seconds after the start
    lag: float  # seconds between when it was due and when it was sent

    @property
    def sent(self) -> float:
        return self.due + self.lag

    @property
    def label(self) -> str:
        """The kind, with a playlist poll's status: 304s cost less."""
        return f"{self.kind} {self.status}" if self.kind == "playlist" else self.kind


def schedule(screens: int, seconds: float, workers: int) -> list[list[Call]]:
    """Every screen's calls, phases spread evenly, dealt out to the workers."""
    plans: list[list[Call]] = [[] for _ in range(workers)]
    for screen in range(screens):
        for kind, period in PERIODS.items():
            due = period * screen / screens
            while due < seconds:
                plans[screen % workers].append(Call(due, kind, screen))
                due += period
    return [sorted(plan, key=lambda call: call.due) for plan in plans]


class Player:
    """One keep-alive connection serving the calls of many screens, each
    screen with its own token and the ETag it last received (shared between
    players); with etags None, polls are never conditional."""

    def __init__(self, port: int, fleet: Fleet, etags: dict[int, str] | None):
        self.fleet, self.etags = fleet, etags
        self.connection = HTTPConnection(HOST, port, timeout=30)

    def send(self, call: Call) -> int:
        _pk, token = self.fleet.screens[call.screen]
        headers = {"Authorization": f"Bearer {token}"}
        if call.kind == "playlist":
            if etag := (self.etags or {}).get(call.screen):
                headers["If-None-Match"] = etag
            return self.request("GET", PLAYLIST, None, headers, call.screen)
        headers["Content-Type"] = "application/json"
        if call.kind == "heartbeat":
            path, body = HEARTBEAT, heartbeat_body(self.fleet.items)
        else:
            path, body = PLAYS, play_batch(self.fleet.items)
        return self.request("POST", path, json.dumps(body).encode(), headers)

    def request(self, method, path, body, headers, screen=None) -> int:
        """The status (0 when the connection failed); a playlist's new ETag
        is kept for the screen's next poll."""
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
        except (OSError, HTTPException):
            self.connection.close()  # the next call reconnects
            return 0
        etag = response.getheader("ETag")
        if self.etags is not None and screen is not None and etag:
            self.etags[screen] = etag
        return response.status

    def run(self, plan: list[Call], started: float, outcomes: list[Outcome]) -> None:
        for call in plan:
            wait = started + call.due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            status = self.send(call)
            ms = (time.perf_counter() - sent) * 1000
            lag = sent - started - call.due
            outcomes.append(Outcome(call.kind, status, ms, call.due, lag))
        self.connection.close()


def run_players(
    port: int, fleet: Fleet, etags: dict, plans: list[list[Call]], started: float
) -> tuple[list[threading.Thread], list[list[Outcome]]]:
    """Each plan played by its own Player thread, started; the threads and
    the lists their outcomes go to."""
    outcomes: list[list[Outcome]] = [[] for _ in plans]
    threads = [
        threading.Thread(
            target=Player(port, fleet, etags).run, args=(plan, started, out)
        )
        for plan, out in zip(plans, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    return threads, outcomes


def play_schedule(
    port: int, fleet: Fleet, etags: dict[int, str], seconds: float, change: Callable
) -> tuple[list[Outcome], float, float]:
    """Run the schedule, with `change` run in this thread half-way through.
    Returns the outcomes, the seconds it took and the moment (seconds after
    the start) the change was made."""
    plans = schedule(len(fleet.screens), seconds, CLIENT_THREADS)
    started = time.perf_counter() + 0.5
    threads, outcomes = run_players(port, fleet, etags, plans, started)
    time.sleep(max(0.0, started + seconds / 2 - time.perf_counter()))
    change()
    changed_at = time.perf_counter() - started
    for thread in threads:
        thread.join()
    flat = [outcome for out in outcomes for outcome in out]
    return flat, time.perf_counter() - started, changed_at


def prime(port: int, fleet: Fleet) -> dict[int, str]:
    """Every screen's first playlist (200 with its ETag), as after a boot."""
    etags: dict[int, str] = {}
    plans = [
        [Call(0, "playlist", n) for n in range(w, len(fleet.screens), CLIENT_THREADS)]
        for w in range(CLIENT_THREADS)
    ]
    threads, _outcomes = run_players(port, fleet, etags, plans, time.perf_counter())
    for thread in threads:
        thread.join()
    return etags


# Figures ------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def share_304(polls: list[Outcome]) -> float:
    return sum(o.status == 304 for o in polls) / max(1, len(polls))


@dataclass(frozen=True)
class RunFigures:
    offered: float
    sustained: float
    failed: int
    kept_up: float  # share of calls sent within KEPT_UP_LAG_SECONDS of due
    lag_p95: float
    not_modified: float  # polls sent before the loop changed
    not_modified_after: float  # after: each screen fetches the new loop once
    latency: dict[str, tuple[int, float, float]]  # label -> (count, p50, p95)


def latencies(answered: list[Outcome]) -> dict[str, tuple[int, float, float]]:
    by_label: dict[str, list[float]] = {}
    for outcome in answered:
        by_label.setdefault(outcome.label, []).append(outcome.ms)
    return {
        label: (len(times), percentile(times, 50), percentile(times, 95))
        for label, times in sorted(by_label.items())
    }


def run_figures(
    outcomes: list[Outcome], seconds: float, planned_seconds: float, changed_at: float
) -> RunFigures:
    answered = [o for o in outcomes if o.status in ANSWERED]
    polls = [o for o in answered if o.kind == "playlist"]
    lags = [o.lag for o in outcomes]
    return RunFigures(
        offered=len(outcomes) / planned_seconds,
        sustained=len(answered) / seconds,
        failed=len(outcomes) - len(answered),
        kept_up=sum(lag <= KEPT_UP_LAG_SECONDS for lag in lags) / max(1, len(lags)),
        lag_p95=percentile(lags, 95),
        not_modified=share_304([o for o in polls if o.sent < changed_at]),
        not_modified_after=share_304([o for o in polls if o.sent >= changed_at]),
        latency=latencies(answered),
    )


# Closed-loop capacity -----------------------------------------------------------------


def hammer(port: int, fleet: Fleet, kind: str, seconds: float) -> tuple[float, float]:
    """(requests/s, p95 ms) of one kind of call ("playlist 304", "playlist
    200", "heartbeat") with CAPACITY_CONNECTIONS connections sending the next
    request as soon as the last is answered, CAPACITY_SCREENS taken in turn."""
    screens = Fleet(fleet.province, fleet.items, fleet.screens[:CAPACITY_SCREENS])
    etags = prime(port, screens) if kind == "playlist 304" else None
    call_kind = kind.split()[0]
    times: list[list[float]] = [[] for _ in range(CAPACITY_CONNECTIONS)]

    def work(index: int) -> None:
        player = Player(port, screens, etags)
        deadline = time.perf_counter() + seconds
        n = index
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            status = player.send(Call(0, call_kind, n % CAPACITY_SCREENS))
            if status in ANSWERED:
                times[index].append((time.perf_counter() - sent) * 1000)
            n += CAPACITY_CONNECTIONS
        player.connection.close()

    threads = [
        threading.Thread(target=work, args=(i,)) for i in range(CAPACITY_CONNECTIONS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [ms for part in times for ms in part]
    return len(flat) / (time.perf_counter() - started), percentile(flat, 95)
