"""The enclosures' downloads counted by the IAB podcast guidelines 2.1
(reach.downloads): one per listener per episode per day, only once a
minute of the file was sent (ranges adding up), probes, HEAD, 304 and
robots left out, nothing personal stored."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from reach import visitors
from reach.daily import count_finished_days
from reach.downloads import DOWNLOADS, minute_of, sent_counted
from reach.models import DailySalt, EnclosureListen, ReachRecord

pytestmark = pytest.mark.django_db

PODCAST_APP = "AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X)"
OTHER_APP = "Xiaoyuzhou/2.60.1 (Android 14)"
BOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"


@pytest.fixture(autouse=True)
def no_earlier_downloads():
    DOWNLOADS.drain()
    visitors._salt = (None, "")


@pytest.fixture
def episode(make_video):
    """A published video whose file is ten minutes long by its duration, so
    that a minute of it is a tenth of its bytes."""
    page = make_video()
    page.video.duration = 600
    page.video.save(update_fields=["duration"])
    name = Path(page.video.file.name).name
    url = reverse("files:enclosure", args=[page.pk, page.video.pk, name])
    return page, url, page.video.file.size


def fetch(
    client, url, agent=PODCAST_APP, address="203.0.113.7", method="get", **headers
):
    response = getattr(client, method)(
        url, HTTP_USER_AGENT=agent, REMOTE_ADDR=address, headers=headers
    )
    if response.streaming:
        b"".join(response.streaming_content)  # the client closes it at the end
    DOWNLOADS.flush()
    return response


def count_today() -> ReachRecord | None:
    count_finished_days(timezone.now() + timedelta(days=1))
    return ReachRecord.objects.filter(channel="podcast").first()


def test_a_listener_is_one_download_a_day_however_often_they_fetch(client, episode):
    page, url, _size = episode
    fetch(client, url)
    fetch(client, url)
    fetch(client, url, agent=OTHER_APP)
    record = count_today()
    assert (record.page_id, record.value, record.metric) == (page.pk, 2, "downloads")
    assert (record.method, record.day) == ("counted", timezone.localdate())
    assert record.inputs == {"listeners": 2, "under_a_minute": 0}


def test_the_same_listener_the_next_day_is_another_download(client, episode):
    _page, url, _size = episode
    fetch(client, url)
    yesterday = timezone.localdate() - timedelta(days=1)
    EnclosureListen.objects.update(day=yesterday)
    fetch(client, url)
    count_finished_days(timezone.now() + timedelta(days=1))
    figures = dict(
        ReachRecord.objects.filter(channel="podcast").values_list("day", "value")
    )
    assert figures == {yesterday: 1, timezone.localdate(): 1}


def test_ranges_add_up_to_a_minute_and_a_probe_is_nothing(client, episode):
    _page, url, size = episode
    minute = minute_of(size, 600)
    fetch(client, url, Range="bytes=0-1")
    assert not EnclosureListen.objects.exists()
    half = minute // 2
    fetch(client, url, Range=f"bytes=0-{half - 1}")
    listen = EnclosureListen.objects.get()
    assert (listen.bytes, listen.size) == (half, size)
    fetch(client, url, Range=f"bytes={half}-{minute + 10}")
    assert EnclosureListen.objects.get().bytes == minute + 11
    record = count_today()
    assert record.value == 1 and record.inputs["under_a_minute"] == 0


def test_under_a_minute_is_no_download(client, episode):
    _page, url, size = episode
    fetch(client, url, Range=f"bytes=0-{minute_of(size, 600) - 2}")
    record = count_today()
    assert record.value == 0
    assert record.inputs == {"listeners": 1, "under_a_minute": 1}


def test_a_client_that_goes_away_is_counted_for_what_it_was_sent():
    reported = []
    chunks = sent_counted(iter([b"a" * 10, b"b" * 10, b"c" * 10]), reported.append)
    next(chunks)
    chunks.close()  # what the server does when the client hangs up
    assert reported == [10]


def test_robots_head_and_revalidation_are_not_downloads(client, episode):
    _page, url, _size = episode
    fetch(client, url, agent=BOT)
    fetch(client, url, agent="")
    fetch(client, url, method="head")
    etag = client.get(url, HTTP_USER_AGENT=BOT)["ETag"]
    assert fetch(client, url, If_None_Match=etag).status_code == 304
    assert not EnclosureListen.objects.exists()


def test_an_ipv6_listener_is_their_64_bit_prefix(client, episode):
    _page, url, _size = episode
    fetch(client, url, address="2001:db8:1:2:aaaa::1")
    fetch(client, url, address="2001:db8:1:2:bbbb::2")
    fetch(client, url, address="2001:db8:1:3::1")
    assert count_today().value == 2


def test_nothing_personal_is_kept(client, episode):
    _page, url, _size = episode
    fetch(client, url, address="203.0.113.7")
    stored = repr(list(EnclosureListen.objects.values()))
    assert "203.0.113.7" not in stored and "iPhone" not in stored
    count_today()
    assert not EnclosureListen.objects.exists() and not DailySalt.objects.exists()


def test_behind_nginx_the_range_asked_for_is_counted(client, episode, settings):
    settings.FILES_ACCEL_REDIRECT = "/internal-media/"
    _page, url, size = episode
    fetch(client, url, Range="bytes=100-1099")
    fetch(client, url)
    assert EnclosureListen.objects.get().bytes == 1000 + size


def test_minute_of_a_file():
    assert minute_of(10_000_000, 600) == 1_000_000
    assert minute_of(500_000, 30) == 500_000  # shorter than a minute: all of it
    assert minute_of(10_000_000, 0) == 960_000  # unknown: a minute at 128 kbit/s
    assert minute_of(100_000, 0) == 100_000
