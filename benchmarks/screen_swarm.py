"""How many big screens one web node holds: 30,000 simulated screens against
the real server (gunicorn, 2 workers × 2 threads, as on a 2-core node).

The players are played by wrk (screen_swarm.lua): 100 connections, each a
share of the fleet, every screen polling its playlist every 30 s with the
ETag it last got and sending a heartbeat every 60 s, on schedule: each call
waits for its time and goes at once when late, the connections' schedules
staggered, so a server that keeps up sees the offered rate and one that
does not falls behind it (achieved against offered is printed). wrk is written
in C and costs the shared cores little; its CPU time is reported too.

1. closed-loop capacity, 8 connections, 10 s each, over 400 screens every
   process has learnt: a static file (the yardstick), an unchanged poll
   (304) and a heartbeat, as × static;
2. the fleet starting (every screen's first calls: each process looks the
   screens it serves up once), then steady: 60 s each with nothing
   changing — the share of polls answered 304, latency p50/p95/p99,
   achieved against offered, and the CPU the server's processes used;
3. the fleet when an editor changes the loop of every screen (an item added
   to the province) 1 s into a 60 s run: every screen takes the new loop
   once (a 200), the rest are 304s again.

Run: .venv/bin/python benchmarks/screen_swarm.py  (DATABASE_URL as for
site.py; SWARM_SCREENS, 30,000 by default, and SWARM_SECONDS, 60, per
fleet phase). Needs wrk (`make bench` installs it)."""

import json
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from environment import environment_line, run_benchmark
from sampling import report as say
from screen_fleet import add_screens, change_the_loop, grow_fleet, small_fleet
from server import HOST, gunicorn

SCREENS = int(os.environ.get("SWARM_SCREENS", "30000"))
RUN_SECONDS = int(os.environ.get("SWARM_SECONDS", "60"))
POLL_SECONDS, HEARTBEAT_SECONDS = 30, 60
CALLS_PER_SCREEN_SECOND = 1 / POLL_SECONDS + 1 / HEARTBEAT_SECONDS
CONNECTIONS = 100
CAPACITY_CONNECTIONS, CAPACITY_SECONDS, CAPACITY_SCREENS = 8, 10, 400
SERVER_WORKERS, SERVER_THREADS = 2, 2
NODE_CORES = 2
STATIC_FILE = "cms/site.css"
SCRIPT = Path(__file__).with_name("screen_swarm.lua")
TARGETS = {"× static": 0.8, "304 share": 0.9, "p95 ms": 100}


@dataclass(frozen=True)
class Swarm:
    statuses: dict[int, int]
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    server_cpu: float  # core-seconds the server's processes used
    client_cpu: float  # core-seconds wrk used

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def polls(self) -> int:
        return self.statuses.get(200, 0) + self.statuses.get(304, 0)

    @property
    def share_304(self) -> float:
        return self.statuses.get(304, 0) / max(self.polls, 1)

    @property
    def failed(self) -> int:
        answered = self.polls + self.statuses.get(204, 0)
        return self.requests - answered + self.socket_errors


# The fleet ----------------------------------------------------------------------------


def build_fleet():
    say(f"building {SCREENS:,} screens in 500 groups …")
    fleet, sites, image = small_fleet()
    grow_fleet(fleet, sites, image)
    add_screens(fleet, sites, SCREENS - len(fleet.screens))
    return fleet


def write_screens_file(fleet, path: Path) -> None:
    """Each screen's token and the ETag of its playlist now, computed as the
    server does, so that the run starts with every player up to date."""
    from screens import api
    from screens.models import Screen

    tokens = dict(fleet.screens)
    screens = Screen.objects.select_related("group").filter(pk__in=tokens)
    with path.open("w") as out:
        for screen in screens.iterator(chunk_size=2_000):
            etag = api.playlist_etag(screen)
            out.write(f"{tokens[screen.pk]} {etag}\n")


# Measuring ----------------------------------------------------------------------------


def server_cpu_seconds(port: int) -> float:
    """CPU time of the gunicorn processes serving this port (master and
    workers, every thread)."""
    marker, tick = f"--bind={HOST}:{port}".encode(), os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in Path("/proc").iterdir():
        try:
            if process.name.isdigit() and marker in (process / "cmdline").read_bytes():
                fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:  # the process ended meanwhile
            continue
    return total


def static_rate(port: int, path: str) -> float:
    command = ["wrk", f"-t{CAPACITY_CONNECTIONS}", f"-c{CAPACITY_CONNECTIONS}"]
    command += [f"-d{CAPACITY_SECONDS}s", f"http://{HOST}:{port}{path}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def swarm(
    port: int,
    screens_file: Path,
    seconds: int,
    threads: int,
    rate: float,
    mode: str,
    screens: int = SCREENS,
) -> Swarm:
    """wrk with screen_swarm.lua: `threads` connections of `rate` calls a
    second each (0: as fast as answered) over the first `screens`."""
    started = (server_cpu_seconds(port), os.times())
    command = ["wrk", f"-t{threads}", f"-c{threads}", f"-d{seconds}s"]
    command += ["-s", str(SCRIPT), f"http://{HOST}:{port}/"]
    command += ["--", str(screens_file), str(threads), str(rate), mode, str(screens)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    server_cpu = server_cpu_seconds(port) - started[0]
    ended = os.times()
    client_cpu = (ended.children_user - started[1].children_user) + (
        ended.children_system - started[1].children_system
    )
    line = next(line for line in output.splitlines() if line.startswith("SWARM "))
    figures = json.loads(line.removeprefix("SWARM "))
    figures["statuses"] = {int(k): v for k, v in figures["statuses"].items()}
    return Swarm(**figures, server_cpu=server_cpu, client_cpu=client_cpu)


# Reporting ----------------------------------------------------------------------------


def report_capacity(static: float, polls: Swarm, beats: Swarm) -> dict[str, float]:
    say(f"  static file: {static:,.0f} req/s (the yardstick)")
    ratios = {}
    for label, run in (("playlist 304", polls), ("heartbeat", beats)):
        ratios[label] = run.rate / static
        say(
            f"  {label:<13}{run.rate:>9,.0f} req/s  {ratios[label]:.2f} × static  "
            f"p95 {run.p95_ms:.1f} ms  statuses {run.statuses}"
        )
    return ratios


def report_swarm(label: str, run: Swarm, offered: float) -> None:
    statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(run.statuses.items()))
    busy = run.server_cpu / run.seconds
    say(f"  {label}: {run.requests:,} calls in {run.seconds:.0f} s ({statuses})")
    say(
        f"    achieved {run.rate:,.0f} of {offered:,.0f} req/s offered "
        f"({run.rate / offered:.1%}); polls answered 304: {run.share_304:.1%}; "
        f"failed {run.failed}"
    )
    say(
        f"    latency p50 {run.p50_ms:.1f} ms, p95 {run.p95_ms:.1f} ms, "
        f"p99 {run.p99_ms:.1f} ms, max {run.max_ms:.0f} ms"
    )
    per_call = busy / run.rate * 1e6
    client = run.client_cpu / run.seconds
    say(
        f"    server CPU {busy:.2f} of {NODE_CORES} cores ({per_call:,.0f} µs "
        f"per call); wrk {client:.2f} cores"
    )


def verdict(ratios: dict[str, float], steady: Swarm, offered: float) -> None:
    held = (
        steady.rate >= 0.95 * offered
        and steady.share_304 >= TARGETS["304 share"]
        and steady.p95_ms < TARGETS["p95 ms"]
        and steady.failed == 0
    )
    say()
    say("summary (targets of the issue):")
    for label, ratio in ratios.items():
        mark = "met" if ratio >= TARGETS["× static"] else "NOT met"
        say(f"  {label} at {ratio:.2f} × static (≥ 0.8): {mark}")
    say(
        f"  {SCREENS:,} screens held (≥ 95 % of the offered rate, ≥ 90 % 304, "
        f"p95 < 100 ms, none failed): {'yes' if held else 'NO'}"
    )


def capacity_phase(port: int, screens_file: Path, static_path: str) -> dict:
    """Each kind of call as fast as answered, over the first CAPACITY_SCREENS
    screens, after a warm-up in which every process has learnt them."""
    say(
        f"closed-loop capacity, {CAPACITY_CONNECTIONS} connections, "
        f"{CAPACITY_SECONDS} s each, {CAPACITY_SCREENS} screens in turn:"
    )
    calls = (port, screens_file, CAPACITY_SECONDS, CAPACITY_CONNECTIONS, 0)
    static_rate(port, static_path)  # warm-up
    swarm(*calls, "fleet", CAPACITY_SCREENS)  # warm-up: every process learns them
    static = static_rate(port, static_path)
    polls = swarm(*calls, "poll", CAPACITY_SCREENS)
    beats = swarm(*calls, "heartbeat", CAPACITY_SCREENS)
    return report_capacity(static, polls, beats)


def fleet_phases(port: int, screens_file: Path, fleet) -> tuple[Swarm, float]:
    """The fleet starting (every process learns every screen), steady, and
    taking a changed loop."""
    offered = SCREENS * CALLS_PER_SCREEN_SECOND
    say(
        f"{SCREENS:,} screens: a poll every {POLL_SECONDS} s and a heartbeat "
        f"every {HEARTBEAT_SECONDS} s each ({offered:,.0f} calls a second on "
        f"schedule), over {CONNECTIONS} connections, {RUN_SECONDS} s per phase:"
    )
    calls = (
        port,
        screens_file,
        RUN_SECONDS,
        CONNECTIONS,
        offered / CONNECTIONS,
        "fleet",
    )
    report_swarm("starting (each process learns each screen)", swarm(*calls), offered)
    steady = swarm(*calls)
    report_swarm("steady", steady, offered)
    threading.Timer(1, change_the_loop(fleet)).start()
    report_swarm("the loop changed for every screen 1 s in", swarm(*calls), offered)
    return steady, offered


# The run ------------------------------------------------------------------------------


def run(var_dir: Path) -> None:
    from content import set_up_demo
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.db import connections

    say("setting up: migrate, collectstatic, load_demo …")
    say(f"  {set_up_demo().summary}")
    say(environment_line("gunicorn"))
    started = time.monotonic()
    fleet = build_fleet()
    screens_file = var_dir / "screens.txt"
    write_screens_file(fleet, screens_file)
    say(f"  {SCREENS:,} screens and their ETags in {time.monotonic() - started:.0f} s")
    connections.close_all()
    static_path = staticfiles_storage.url(STATIC_FILE)
    say(f"serving with gunicorn ({SERVER_WORKERS} workers × {SERVER_THREADS} threads)")
    with gunicorn(
        SERVER_WORKERS, SERVER_THREADS, static_path, var_dir / "gunicorn.log"
    ) as port:
        ratios = capacity_phase(port, screens_file, static_path)
        steady, offered = fleet_phases(port, screens_file, fleet)
    verdict(ratios, steady, offered)


if __name__ == "__main__":
    run_benchmark(run)
