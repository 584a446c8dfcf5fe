"""A partner's or desk's webhook endpoint on this machine: a real HTTP
server on 127.0.0.1 that records what it is sent, allow-listed as an
intranet address would be; and a slow one that holds its first request."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(settings):
    """(address, Receiver): Receiver.received holds (headers, body) pairs."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/kepu", Receiver
    server.shutdown()
    server.server_close()


class SlowReceiver(BaseHTTPRequestHandler):
    """A webhook endpoint that holds its first request for `hold` seconds
    (or until released) and records every request it reads."""

    hold = 0.0
    received: list[dict] = []
    release = threading.Event()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        received = type(self).received
        received.append({"key": self.headers["Idempotency-Key"], "body": body})
        if len(received) == 1:
            type(self).release.wait(type(self).hold)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def slow_receiver(hold: float = 0.0) -> Iterator[tuple[str, type[SlowReceiver]]]:
    """(address, SlowReceiver) for an endpoint holding its first request."""
    SlowReceiver.hold = hold
    SlowReceiver.received = []
    SlowReceiver.release = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", SlowReceiver
    finally:
        SlowReceiver.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def slow_webhook(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with slow_receiver() as endpoint:
        yield endpoint
