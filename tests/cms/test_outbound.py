"""The outbound HTTP client: which addresses it refuses, that it connects to
the address it checked while naming the host, and that one deadline and one
size cap hold however the server answers. Servers are real, on 127.0.0.1,
allow-listed by each test that talks to one."""

import ipaddress
import socket
import threading
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from cms.outbound import OutboundError, checked_addresses, is_allowed, request
from tests.ingest.fixtures import running_upstream

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fec0::1",  # site-local (deprecated, still routed inside some networks)
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "ff0e::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
    "2001:db8::1",
    "64:ff9b::a00:1",
]
PUBLIC = ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.fixture
def allow_loopback(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def server(allow_loopback):
    with running_upstream() as upstream:
        yield upstream


@pytest.mark.parametrize("address", REFUSED)
def test_internal_and_special_addresses_are_refused(address):
    assert not is_allowed(ipaddress.ip_address(address))
    with pytest.raises(OutboundError):
        checked_addresses(address, 80)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert is_allowed(ipaddress.ip_address(address))


def test_a_name_that_resolves_to_loopback_is_refused():
    with pytest.raises(OutboundError) as refused:
        checked_addresses("localhost", 80)
    assert "127" not in refused.value.message


def test_the_allow_list_admits_its_networks_and_no_more(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16", "fd00:1::/32"]
    for address in ("10.20.3.4", "::ffff:10.20.3.4", "fd00:1:2::5"):
        assert is_allowed(ipaddress.ip_address(address))
    for address in ("10.21.0.1", "127.0.0.1", "192.168.0.1", "fd00:2::1"):
        assert not is_allowed(ipaddress.ip_address(address))


def test_a_malformed_allow_list_is_a_configuration_error(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/33"]
    with pytest.raises(ImproperlyConfigured):
        is_allowed(ipaddress.ip_address("10.0.0.1"))


def test_only_http_and_https_are_accepted():
    for url in ("file:///etc/passwd", "ftp://example.org/", "gopher://x/"):
        with pytest.raises(OutboundError, match="只支持 http 和 https"):
            request("GET", url, deadline_seconds=1, max_bytes=1024)


def test_the_host_name_is_sent_while_the_checked_address_is_dialled(settings, server):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32", "::1/128"]
    server.answer("/named", "hello")
    answer = request(
        "GET", f"http://localhost:{server.port}/named", deadline_seconds=5, max_bytes=64
    )
    assert (answer.status, answer.body) == (200, b"hello")
    [headers] = server.headers_sent_to("/named")
    assert headers["Host"] == f"localhost:{server.port}"


def test_a_chinese_path_is_sent_percent_encoded(settings, server):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    url = server.answer("/%E8%AE%A2%E9%98%85.xml?q=%E7%A7%91", "订阅")
    answer = request(
        "GET",
        url.replace("%E8%AE%A2%E9%98%85", "订阅").replace("%E7%A7%91", "科"),
        deadline_seconds=5,
        max_bytes=64,
    )
    assert answer.body.decode() == "订阅"


def test_a_dripping_body_is_cut_off_at_the_total_deadline(server):
    url = server.answer("/drip", b"x" * 1_000_000, drip=0.5)
    started = time.monotonic()
    with pytest.raises(OutboundError, match="超时") as cut:
        request("GET", url, deadline_seconds=2, max_bytes=5 * 1024 * 1024)
    assert time.monotonic() - started < 2 + 2
    assert str(server.port) not in cut.value.message


def test_dripping_headers_are_cut_off_at_the_total_deadline(allow_loopback):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        stop = threading.Event()

        def drip_status_line():
            conn, _ = listener.accept()
            with conn:
                for byte in b"HTTP/1.1 200 OK, slowly" * 10:
                    if stop.wait(0.3):
                        return
                    conn.sendall(bytes([byte]))

        threading.Thread(target=drip_status_line, daemon=True).start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        started = time.monotonic()
        try:
            with pytest.raises(OutboundError, match="超时"):
                request("GET", url, deadline_seconds=1.5, max_bytes=1024)
        finally:
            stop.set()
        assert time.monotonic() - started < 1.5 + 2


def test_the_deadline_covers_all_redirect_hops_together(server):
    url = server.answer("/slow", "late", delay=0.8)
    for hop in range(3):
        url = server.answer(f"/hop{hop}", status=302, headers={"Location": url})
    started = time.monotonic()
    server.answer("/first", status=302, headers={"Location": url}, delay=0.8)
    with pytest.raises(OutboundError, match="超时"):
        request("GET", server.url("/first"), deadline_seconds=1.2, max_bytes=1024)
    assert time.monotonic() - started < 1.2 + 2


@pytest.mark.parametrize(
    "answer",
    [{"body": b"x" * 200_000}, {"stream_bytes": 1024 * 1024}],
    ids=["declared", "streamed"],
)
def test_a_body_over_the_cap_is_refused(server, answer):
    url = server.answer("/big", **answer)
    with pytest.raises(OutboundError, match="响应超过 64 KB 上限"):
        request("GET", url, deadline_seconds=5, max_bytes=64 * 1024)


def test_without_redirects_a_3xx_is_returned_and_not_followed(server):
    target = server.answer("/target", "moved here")
    url = server.answer("/moved", status=302, headers={"Location": target})
    answer = request("GET", url, deadline_seconds=5, max_bytes=1024, redirects=0)
    assert answer.status == 302 and answer.headers["location"] == target
    assert server.headers_sent_to("/target") == []


def test_a_redirect_is_followed_to_its_end(server):
    target = server.answer("/target", "moved here")
    url = server.answer("/moved", status=301, headers={"Location": "/target"})
    answer = request("GET", url, deadline_seconds=5, max_bytes=1024)
    assert (answer.status, answer.body, answer.url) == (200, b"moved here", target)
