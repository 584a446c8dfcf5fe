"""One setting, PUBLIC_BASE_URL, is the address in every absolute link the
site gives: feeds in every format, the programme podcast, the partner API,
the pages API, the sitemap, e-mails and the QR codes on screen cards. Feed
GUIDs and Atom ids do not depend on it."""

import json

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.test import override_settings
from PIL import Image, ImageChops
from wagtail.models import Site

from cms.public_address import sync_default_site
from cms.review import submit_for_review
from feeds.items import item_guid
from partners.models import ApiKey
from screens.cards import article_card_name, article_card_url, card_layout, qr_picture

PUBLIC = "https://kepu.example.cn"
FORMATS = ("rss.xml", "atom.xml", "feed.json", "podcast.xml", "mrss.xml")


@pytest.fixture
def public_address(home):
    with override_settings(
        PUBLIC_BASE_URL=PUBLIC,
        WAGTAILADMIN_BASE_URL=PUBLIC,
        WAGTAILAPI_BASE_URL=PUBLIC,
    ):
        assert sync_default_site()
        yield


def local_names_in(text: str) -> list[str]:
    return [name for name in ("localhost", "127.0.0.1", "testserver") if name in text]


def test_the_default_site_moves_to_the_address_once(home):
    with override_settings(PUBLIC_BASE_URL=PUBLIC):
        assert sync_default_site()
        assert not sync_default_site()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.root_url) == (
        "kepu.example.cn",
        443,
        PUBLIC,
    )
    with override_settings(PUBLIC_BASE_URL="http://127.0.0.1:8000"):
        assert sync_default_site()
    assert Site.objects.get(is_default_site=True).root_url == "http://127.0.0.1:8000"


def test_every_feed_format_links_to_the_address(
    public_address, client, make_feed, make_video, make_audio_episode
):
    video = make_video()
    episode = make_audio_episode(1)
    make_feed("all")
    for name in FORMATS:
        body = client.get(f"/feeds/all/{name}").content.decode()
        assert f"{PUBLIC}/feeds/all/{name}" in body, name
        assert video.get_url() in body or episode.get_url() in body, name
        assert not local_names_in(body), (name, local_names_in(body))
    rss = client.get("/feeds/all/rss.xml").content.decode()
    assert f"<link>{PUBLIC}{video.url}</link>" in rss
    assert f'url="{PUBLIC}/feeds/media/{video.pk}/' in rss  # the enclosure

    podcast = client.get("/channels/podcast/kexue-wufenzhong.xml").content.decode()
    assert f"{PUBLIC}/kexue-wufenzhong/" in podcast
    assert f'url="{PUBLIC}/feeds/media/{episode.pk}/' in podcast
    assert not local_names_in(podcast)


def test_guids_and_atom_ids_stay_what_they_were(client, make_feed, make_video):
    """Readers know items by these ids: they are built from the ids, so a
    new address (or the old http://localhost/) leaves them as they were."""
    video = make_video()
    feed = make_feed("all")
    documents = {}
    for address in ("http://localhost", PUBLIC):
        with override_settings(PUBLIC_BASE_URL=address):
            sync_default_site()
            documents[address] = {
                name: client.get(f"/feeds/all/{name}").content.decode()
                for name in ("rss.xml", "atom.xml", "feed.json")
            }
    for address, formats in documents.items():
        assert (
            f'<guid isPermaLink="false">urn:kepu:page:{video.pk}</guid>'
            in (formats["rss.xml"])
        ), address
        assert f"<id>urn:kepu:feed:{feed.pk}</id>" in formats["atom.xml"]
        assert f"<id>{item_guid(video.pk)}</id>" in formats["atom.xml"]
        assert json.loads(formats["feed.json"])["items"][0]["id"] == (
            f"urn:kepu:page:{video.pk}"
        )


def test_the_partner_api_and_the_pages_api_link_to_the_address(
    public_address, client, partner, make_feed, make_video
):
    video = make_video()
    _key, clear = ApiKey.issue(partner, [make_feed("all")])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {clear}"}
    partner_items = client.get("/api/partner/items/", **headers).json()["results"]
    assert partner_items[0]["url"] == f"{PUBLIC}{video.url}"
    partner_feeds = client.get("/api/partner/feeds/", **headers).content.decode()
    assert f"{PUBLIC}/feeds/all/rss.xml" in partner_feeds
    assert not local_names_in(partner_feeds)

    pages = client.get("/api/v2/pages/", {"fields": "html_url"}).json()["items"]
    html_urls = {page["meta"]["html_url"] for page in pages}
    assert f"{PUBLIC}{video.url}" in html_urls
    assert all(url.startswith(PUBLIC) for url in html_urls)
    detail_urls = {page["meta"]["detail_url"] for page in pages}
    assert all(url.startswith(f"{PUBLIC}/api/v2/pages/") for url in detail_urls)


def test_the_sitemap_lists_pages_at_the_address(public_address, client, make_article):
    article = make_article()
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"<loc>{PUBLIC}{article.url}</loc>" in sitemap
    assert not local_names_in(sitemap)


def test_review_e_mails_link_to_the_address(
    public_address, make_article, editor, reviewer
):
    article = make_article(publish=False)
    article.save_revision(user=editor)
    mail.outbox.clear()
    submit_for_review(article, editor)
    sent = [message.body for message in mail.outbox]
    assert sent and all(f"{PUBLIC}/admin/" in body for body in sent)
    assert not any(local_names_in(body) for body in sent)


def test_a_screen_card_s_qr_code_holds_the_article_s_address(
    public_address, make_article
):
    article = make_article()
    article_card_url(article, "landscape")
    name = article_card_name(article.pk, article.live_revision_id, "landscape")
    with default_storage.open(name) as stored, Image.open(stored) as card:
        layout = card_layout("landscape")
        left, top = layout.qr_corner
        size = layout.qr_size
        drawn = card.convert("RGB").crop((left, top, left + size, top + size))
    expected = qr_picture(f"{PUBLIC}{article.url}", size)
    assert ImageChops.difference(drawn, expected).getbbox() is None
