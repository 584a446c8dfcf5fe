"""Enclosure files as podcast apps fetch them: HEAD, byte ranges (206 and
416), ETag revalidation, and nothing served for a page readers cannot see."""

from pathlib import Path

import pytest
from django.urls import reverse

from cms.pages import VideoPage


@pytest.fixture
def video_url(make_video):
    page = make_video()
    filename = Path(page.video.file.name).name
    url = reverse("files:enclosure", args=[page.pk, page.video.pk, filename])
    return page, url, Path(page.video.file.path).read_bytes()


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_get_and_head_give_the_whole_file(client, video_url):
    _page, url, data = video_url
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert int(response["Content-Length"]) == len(data)
    assert body(response) == data
    head = client.head(url)
    assert head.status_code == 200 and int(head["Content-Length"]) == len(data)
    assert head.content == b""


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=100-", 100, None), ("bytes=-50", -50, None)],
)
def test_byte_ranges_give_206_with_content_range(
    client, video_url, header, first, last
):
    _page, url, data = video_url
    response = client.get(url, headers={"Range": header})
    expected = data[first:] if last is None else data[first : last + 1]
    assert response.status_code == 206
    start = first if first >= 0 else len(data) + first
    end = start + len(expected) - 1
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert int(response["Content-Length"]) == len(expected)
    assert body(response) == expected


def test_unsatisfiable_range_is_416(client, video_url):
    _page, url, data = video_url
    response = client.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(data)}"


def test_etag_revalidates_with_304(client, video_url):
    _page, url, _data = video_url
    etag = client.head(url)["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_nothing_is_served_for_hidden_pages_or_wrong_names(
    client, video_url, make_video
):
    page, url, _data = video_url
    wrong_name = url.rsplit("/", 1)[0] + "/other.mp4"
    assert client.get(wrong_name).status_code == 404
    thumbnail = reverse("files:thumbnail", args=[page.pk, page.video.pk])
    assert client.get(thumbnail).status_code == 200
    page.unpublish()  # a withdrawal: its addresses say so
    assert client.get(url).status_code == 410
    assert client.head(url).status_code == 410
    assert client.get(thumbnail).status_code == 410
    draft = make_video(publish=False, title="未发布视频")
    draft_url = reverse(
        "files:enclosure",
        args=[draft.pk, draft.video.pk, Path(draft.video.file.name).name],
    )
    assert client.get(draft_url).status_code == 404
    assert VideoPage.objects.filter(pk=draft.pk, live=False).exists()
