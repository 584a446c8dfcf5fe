"""The demo's partners: one per demo outlet, each with a key scoped to its
partner feed; a second load changes nothing; under DEBUG the key is printed
and works in a feed reader and a podcast app, otherwise nothing secret is
printed."""

import json
import re

import feedparser
import pytest
from django.db import transaction

from channels.feeds.models import FeedDefinition
from channels.feeds.selection import feed_pages
from channels.feeds.views import FORMATS, narrowed
from channels.partners.models import KEY_PATTERN, ApiKey, Partner
from cms.demo import content
from cms.demo.feeds import load_feeds
from cms.demo.loader import load_demo
from cms.demo.outlets import load_outlets
from cms.demo.partners import load_partners

PRINTED_KEY = re.compile(r"demo key for (.+) \((partner-[a-z-]+)\): (kp_\S+)")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        load_outlets()
        load_feeds()
        yield load_partners()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo, db):
    return demo


def test_each_demo_outlet_has_a_partner_with_a_scoped_key(loaded):
    assert loaded.startswith("partners: created 2, keys created 2")
    assert "kp_" not in loaded  # DEBUG is off in tests: nothing secret printed
    for column in content.COLUMNS:
        partner = Partner.objects.get(name=column.outlet_name)
        [key] = partner.keys.all()
        assert [f.slug for f in key.feeds.all()] == [f"partner-{column.slug}"]
        assert key.status == ApiKey.Status.ACTIVE


def test_a_second_load_changes_nothing(loaded):
    keys = set(ApiKey.objects.values_list("key_hash", flat=True))
    assert load_partners() == "partners: created 0, keys created 0"
    assert set(ApiKey.objects.values_list("key_hash", flat=True)) == keys


def test_under_debug_the_printed_key_reads_its_feed(loaded, client, settings):
    settings.DEBUG = True
    report = load_partners()
    printed = PRINTED_KEY.findall(report)
    assert len(printed) == len(content.COLUMNS)
    assert load_partners().splitlines()[1:] == report.splitlines()[1:]  # stable
    for partner_name, slug, clear in printed:
        assert KEY_PATTERN.match(clear)
        key = ApiKey.objects.get(prefix=clear[3:11])
        assert key.partner.name == partner_name
        feed = FeedDefinition.objects.get(slug=slug)
        reader = feedparser.parse(
            client.get(f"/feeds/{slug}/rss.xml?key={clear}").content
        )
        assert reader.bozo == 0
        wanted = [f"urn:kepu:page:{page.pk}" for page in feed_pages(feed)]
        assert wanted and [entry.id for entry in reader.entries] == wanted
        bearer = {"Authorization": f"Bearer {clear}"}
        podcast = client.get(f"/feeds/{slug}/podcast.xml", headers=bearer)
        assert podcast.status_code == 200
        assert feedparser.parse(podcast.content).bozo == 0
        other = next(s for _n, s, _c in printed if s != slug)
        assert client.get(f"/feeds/{other}/rss.xml", headers=bearer).status_code == 403


def expected_ids(feed: FeedDefinition, media_kind: str | None) -> list[str]:
    pages = narrowed(feed_pages(feed), media_kind)[: feed.item_count]
    return [f"urn:kepu:page:{page.pk}" for page in pages]


def test_every_format_of_every_demo_feed_parses_with_the_items_of_the_database(
    loaded, client
):
    seen = {}
    for feed in FeedDefinition.objects.all():
        _key, clear = ApiKey.issue(Partner.objects.first(), [feed])
        bearer = {"Authorization": f"Bearer {clear}"}
        for fmt in FORMATS.values():
            response = client.get(f"/feeds/{feed.slug}/{fmt.name}", headers=bearer)
            assert response.status_code == 200, (feed.slug, fmt.name)
            if fmt.name == "feed.json":
                ids = [item["id"] for item in json.loads(response.content)["items"]]
            else:
                parsed = feedparser.parse(response.content)
                assert parsed.bozo == 0, (feed.slug, fmt.name, parsed.bozo_exception)
                ids = [entry.id for entry in parsed.entries]
            assert ids == expected_ids(feed, fmt.media_kind), (feed.slug, fmt.name)
            seen[(feed.slug, fmt.name)] = len(ids)
    assert all(seen[("all", name)] for name in FORMATS)  # none of them empty
    for column in content.COLUMNS:
        assert seen[(f"partner-{column.slug}", "rss.xml")]
