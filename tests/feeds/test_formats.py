"""Every format of a feed: parseable (feedparser, bozo 0), the items the
database says, JSON Feed's spec fields, the podcast's required tags, Media
RSS attributes checked against the served file, RFC 5005 paging."""

import json
from xml.etree import ElementTree

import feedparser
import ffmpeg
import pytest

from feeds.formats import CONTENT_NS
from feeds.media_formats import ITUNES_NS, MEDIA_NS
from tests.feeds.fixtures import FEED_FORMATS

ATOM_NS = "http://www.w3.org/2005/Atom"


def parsed(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.content
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def entries(client, url: str) -> list[tuple[str, str]]:
    """(id, title) of each item: feedparser for XML, the JSON itself for JSON
    Feed (feedparser 6.0 does not read JSON Feed)."""
    if url.endswith(".json"):
        data = json.loads(client.get(url).content)
        return [(item["id"], item["title"]) for item in data["items"]]
    return [(entry.id, entry.title) for entry in parsed(client, url).entries]


@pytest.fixture
def mixed_feed(make_feed, make_article, make_video, make_audio_episode):
    article = make_article(title="疫苗是怎样起作用的")
    video = make_video()
    episode = make_audio_episode(1)
    return make_feed("all"), {"article": article, "video": video, "episode": episode}


@pytest.mark.parametrize("name", FEED_FORMATS)
def test_every_format_parses_and_lists_the_right_items(client, mixed_feed, name):
    _feed, pages = mixed_feed
    wanted = {
        "podcast.xml": [pages["episode"]],
        "mrss.xml": [pages["video"]],
    }.get(name, [pages["episode"], pages["video"], pages["article"]])
    assert entries(client, f"/feeds/all/{name}") == [
        (f"urn:kepu:page:{p.pk}", p.title) for p in wanted
    ]


def test_rss_has_full_text_and_utc_dates(client, mixed_feed, make_feed):
    response = client.get("/feeds/all/rss.xml")
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    item = root.find("channel/item[last()]")
    assert item.find("pubDate").text.endswith("+0000")
    assert item.find("guid").get("isPermaLink") == "false"
    body = item.find(f"{{{CONTENT_NS}}}encoded").text
    assert body == "<p>免疫系统像一支训练有素的队伍。</p>"
    assert item.find("category").text == "公共卫生"
    make_feed("short", full_text=False)
    root = ElementTree.fromstring(client.get("/feeds/short/rss.xml").content)
    assert root.find(f"channel/item/{{{CONTENT_NS}}}encoded") is None


def test_atom_entries_have_rfc_4287_fields(client, mixed_feed):
    response = client.get("/feeds/all/atom.xml")
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    feed = mixed_feed[0]
    assert root.find(f"{{{ATOM_NS}}}id").text == f"urn:kepu:feed:{feed.pk}"
    assert root.find(f"{{{ATOM_NS}}}updated").text.endswith("+00:00")
    for entry in root.findall(f"{{{ATOM_NS}}}entry"):
        for tag in ("id", "title", "updated", "published", "author"):
            assert entry.find(f"{{{ATOM_NS}}}{tag}") is not None
        assert entry.find(f"{{{ATOM_NS}}}author/{{{ATOM_NS}}}name").text
    video = parsed(client, "/feeds/all/atom.xml").entries[1]
    [link] = [link for link in video.links if link.rel == "enclosure"]
    assert link.type == "video/mp4" and int(link.length) > 0


def test_json_feed_has_the_spec_fields(client, mixed_feed):
    response = client.get("/feeds/all/feed.json")
    assert response["Content-Type"] == "application/feed+json"
    data = json.loads(response.content)
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["feed_url"] == "http://testserver/feeds/all/feed.json"
    assert data["title"] and data["home_page_url"] and "next_url" not in data
    for item in data["items"]:
        assert isinstance(item["id"], str) and item["url"].startswith("http")
        assert item.get("content_html") or item.get("content_text")
        assert item["date_published"].endswith("+00:00")
        assert all(isinstance(tag, str) for tag in item["tags"])
        for attachment in item.get("attachments", []):
            assert attachment["url"].startswith("http://testserver/feeds/media/")
            assert attachment["size_in_bytes"] > 0 and attachment["mime_type"]
    kinds = {item["_kepu"]["content_type"] for item in data["items"]}
    assert kinds == {"article", "video", "episode"}


def test_podcast_has_the_required_tags(client, mixed_feed):
    episode = mixed_feed[1]["episode"]
    root = ElementTree.fromstring(client.get("/feeds/all/podcast.xml").content)
    channel = root.find("channel")
    for tag in ("title", "description", "language", "link"):
        assert channel.find(tag).text
    cover = channel.find(f"{{{ITUNES_NS}}}image").get("href")
    assert channel.find(f"{{{ITUNES_NS}}}category").get("text") == "Science"
    assert channel.find(f"{{{ITUNES_NS}}}explicit").text == "false"
    [item] = channel.findall("item")
    enclosure = item.find("enclosure")
    assert enclosure.get("type") == "audio/mp4"
    assert int(enclosure.get("length")) == episode.audio.file.size
    assert item.find("guid").text == f"urn:kepu:page:{episode.pk}"
    assert item.find(f"{{{ITUNES_NS}}}duration").text == "00:00:02"
    art = client.get(cover.removeprefix("http://testserver"))
    assert art["Content-Type"] == "image/png"
    assert art.content.startswith(b"\x89PNG")


def test_media_rss_attributes_match_the_served_file(client, mixed_feed, tmp_path):
    root = ElementTree.fromstring(client.get("/feeds/all/mrss.xml").content)
    [content] = root.findall(f"channel/item/{{{MEDIA_NS}}}content")
    served = client.get(content.get("url").removeprefix("http://testserver"))
    path = tmp_path / "served.mp4"
    path.write_bytes(b"".join(served.streaming_content))
    probe = ffmpeg.probe(str(path))
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert int(content.get("fileSize")) == path.stat().st_size
    assert (content.get("width"), content.get("height")) == (
        str(video["width"]),
        str(video["height"]),
    )
    duration = float(probe["format"]["duration"])
    assert abs(int(content.get("duration")) - duration) < 1
    assert (content.get("type"), content.get("medium")) == ("video/mp4", "video")
    thumbnail = content.find(f"{{{MEDIA_NS}}}thumbnail").get("url")
    assert client.get(thumbnail.removeprefix("http://testserver")).status_code == 200


def links(root, path: str) -> dict[str, str]:
    found = root.findall(path)
    return {link.get("rel"): link.get("href") for link in found}


def test_archive_is_paged_with_rfc_5005_links(client, make_feed, make_article):
    make_feed("small", item_count=2)
    for n in range(5):
        make_article(title=f"第{n}篇")
    base = "http://testserver/feeds/small/rss.xml"
    first = ElementTree.fromstring(client.get("/feeds/small/rss.xml").content)
    rels = links(first, f"channel/{{{ATOM_NS}}}link")
    assert rels["self"] == base
    assert rels["next"] == rels["prev-archive"] == f"{base}?page=2"
    assert "previous" not in rels
    second = ElementTree.fromstring(client.get(f"{base}?page=2").content)
    rels = links(second, f"channel/{{{ATOM_NS}}}link")
    assert (rels["previous"], rels["current"]) == (base, base)
    assert rels["prev-archive"] == f"{base}?page=3"
    assert (
        second.find("channel/{http://purl.org/syndication/history/1.0}archive")
        is not None
    )
    titles = [item.find("title").text for item in second.findall("channel/item")]
    assert titles == ["第2篇", "第1篇"]
    atom = ElementTree.fromstring(client.get("/feeds/small/atom.xml?page=3").content)
    rels = links(atom, f"{{{ATOM_NS}}}link")
    assert "next" not in rels and rels["next-archive"].endswith("atom.xml?page=2")
    data = json.loads(client.get("/feeds/small/feed.json?page=2").content)
    assert data["next_url"] == "http://testserver/feeds/small/feed.json?page=3"
    assert client.get("/feeds/small/rss.xml?page=4").status_code == 404
    assert client.get("/feeds/small/rss.xml?page=x").status_code == 404
