"""`manage.py serve` as `make run` starts it: gunicorn and the worker under
supervisord, production settings, a temporary VAR_DIR and a free port."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cms.test_scheduling import database_url

ROOT = Path(__file__).resolve().parents[2]
METRICS_TOKEN = "serve-test-metrics"
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> set[int]:
    found = set()
    for child in children(pid):
        found |= {child, *descendants(child)}
    return found


def command_line(pid: int) -> str:
    return (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")).decode()


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except FileNotFoundError:
        return False
    return state != "Z"


def fetch(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def poll(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    return None


class Served:
    def __init__(self, process: subprocess.Popen, base_url: str, log: Path):
        self.process, self.base_url, self.log = process, base_url, log

    def programs(self) -> dict[str, int]:
        """The supervised processes by name (web: gunicorn's master)."""
        named = {}
        for pid in children(self.process.pid):
            line = command_line(pid)
            named["web" if "gunicorn" in line else "worker"] = pid
        return named

    def answers(self) -> bool:
        try:
            return fetch(self.base_url + "/healthz")[0] == 200
        except OSError:
            return False


@pytest.fixture
def served(home, tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    media = tmp_path / "var" / "media"
    media.mkdir(parents=True)
    (media / "private.txt").write_text("只给工作人员看")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.serve_settings",
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(tmp_path / "var"),
        "PUBLIC_BASE_URL": base_url,
        "SECRET_KEY": "serve-test",
        "WEB_CONCURRENCY": "2",
        "SCHEDULER_INTERVAL_SECONDS": "1",
        "METRICS_TOKEN": METRICS_TOKEN,
    }
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    server = Served(process, base_url, log)
    assert poll(server.answers, seconds=90), log.read_text()
    yield server
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def test_the_site_answers_through_gunicorn_with_debug_off(served):
    assert "gunicorn" in command_line(served.programs()["web"])
    status, body = fetch(served.base_url + "/")
    assert status == 200 and "科普全媒体" in body

    status, body = fetch(served.base_url + "/no-such-page/")
    assert status == 404
    assert "页面不存在" in body and "Traceback" not in body

    for path in ("/media/private.txt", "/private-files/private.txt"):
        status, body = fetch(served.base_url + path)
        assert status == 404 and "只给工作人员看" not in body


def search_requests_counted(base_url: str) -> float:
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    status, text = fetch(base_url + "/metrics", headers)
    assert status == 200, text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "kepu_http_requests_total"
        and sample.labels["view"] == "search"
    )


def test_every_worker_reports_the_requests_of_all(served):
    """Twenty searches spread over gunicorn's two workers: whichever worker
    answers the scrape counts all of them."""
    before = search_requests_counted(served.base_url)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda n: fetch(f"{served.base_url}/search/?q={n}"), range(20))
        )
    assert [status for status, _body in answers] == [200] * 20
    scrapes = {search_requests_counted(served.base_url) - before for _ in range(6)}
    assert scrapes == {20}


def test_requests_are_logged_as_json_lines(served):
    fetch(served.base_url + "/no-such-page/?key=kp_abcdefghijkl")

    def logged() -> dict | None:
        for line in served.log.read_text().splitlines():
            if line.startswith("{") and "no-such-page" in line:
                return json.loads(line)
        return None

    line = poll(logged, seconds=10)
    assert line, served.log.read_text()
    assert line["logger"] == "cms.requests" and line["status"] == 404
    assert line["path"] == "/no-such-page/?key=***"
    assert "kp_abcdefghijkl" not in served.log.read_text()


def test_a_killed_worker_is_started_again_within_5_seconds(served):
    killed = served.programs()["worker"]
    os.kill(killed, signal.SIGKILL)

    def restarted() -> int | None:
        """The new worker once it runs db_worker: right after the fork the
        new process still shows supervisord's command line (seen once
        under load)."""
        worker = served.programs().get("worker")
        if worker in (None, killed):
            return None
        try:
            return worker if "db_worker" in command_line(worker) else None
        except FileNotFoundError:  # gone again
            return None

    assert poll(restarted, seconds=5), served.log.read_text()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_every_process(served, stop):
    processes = descendants(served.process.pid)
    assert len(processes) >= 4  # gunicorn, its 2 workers, db_worker

    served.process.send_signal(stop)
    served.process.wait(timeout=30)

    assert poll(lambda: not any(map(is_running, processes)), seconds=10), [
        command_line(pid) for pid in processes if is_running(pid)
    ]
