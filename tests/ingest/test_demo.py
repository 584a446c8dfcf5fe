"""The demo's upstream feed: one source, switched off (the demo never reaches
the network), pointing at our own public feed, and loaded once."""

from demo.ingest import load_ingest
from ingest.models import UpstreamFeed
from ingest.tasks import poll_due_feeds


def test_demo_creates_one_switched_off_source_once(articles_index, settings):
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"  # as in make run
    assert load_ingest() == "upstream feeds: created 1"
    assert load_ingest() == "upstream feeds: created 0"

    feed = UpstreamFeed.objects.get()
    assert not feed.active
    assert feed.url == "http://127.0.0.1:8000/feeds/all/rss.xml"
    assert feed.target_id == articles_index.pk
    assert "默认停用" in feed.note
    feed.full_clean()


def test_demo_source_is_never_polled_by_the_scheduler(articles_index):
    load_ingest()
    assert poll_due_feeds(UpstreamFeed.objects.get().created_at) == 0


def test_demo_without_an_articles_section_creates_nothing(db):
    assert load_ingest() == "upstream feeds: no articles section, none created"
    assert not UpstreamFeed.objects.exists()
