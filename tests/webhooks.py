"""A partner's or desk's webhook endpoint on this machine: a real HTTP
server on 127.0.0.1 that records what it is sent, allow-listed as an
intranet address would be."""

import threading
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
