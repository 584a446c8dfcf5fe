"""The site under gunicorn, the production server, in a child process on
loopback: `workers` processes of `threads` threads each (gthread)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection, HTTPException
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def responds(port: int, path: str) -> bool:
    connection = HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except (OSError, HTTPException):
        return False
    finally:
        connection.close()


def wait_until_ready(
    process: subprocess.Popen, port: int, path: str, log: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not responds(port, path):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not serve {path}:\n{log.read_text()}")
        time.sleep(0.2)


@contextmanager
def gunicorn(
    workers: int, threads: int, ready_path: str, log: Path, **env: str
) -> Iterator[int]:
    """Serve cms.wsgi with the current environment (and `env` on top);
    yields the port once ready_path answers 200, and stops the server on
    exit."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "cms.wsgi:application",
    ]
    with log.open("a") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log_file,
            stderr=log_file,
        )
    try:
        wait_until_ready(process, port, ready_path, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
