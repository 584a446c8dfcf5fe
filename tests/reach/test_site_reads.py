"""The site's reads (reach.site_reads): a visitor counted once a day per
page, robots and staff not at all, nothing personal stored, the day
counted into the ledger and its hashes and salt gone."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cms.organisation_rights import sync_rights
from cms.pages import ContentIndexPage
from reach import site_reads, visitors
from reach.daily import count_finished_days
from reach.models import DailySalt, ReachRecord, SiteVisit
from reach.site_reads import VISITS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_earlier_reads():
    """Reads that other tests in this process buffered are not this test's."""
    VISITS.drain()
    site_reads.SEEN.keys.clear()
    visitors._salt = (None, "")


PHONE = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 Chrome/120 Mobile"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BAIDUSPIDER = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"


def read(client, page, agent=PHONE, address="203.0.113.7", **extra):
    response = client.get(page.url, HTTP_USER_AGENT=agent, REMOTE_ADDR=address, **extra)
    VISITS.flush()
    return response


def visits_of(page) -> int:
    return SiteVisit.objects.filter(page=page).count()


def test_a_visitor_is_counted_once_a_day_per_page(client, make_article):
    article = make_article(slug="once")
    read(client, article)
    read(client, article)  # the same browser again, from the cache
    assert visits_of(article) == 1
    read(client, article, agent=DESKTOP)
    read(client, article, address="198.51.100.9")
    assert visits_of(article) == 3


def test_robots_staff_searches_and_errors_are_not_reads(
    client, make_article, admin_user
):
    article = make_article(slug="robots")
    read(client, article, agent=GOOGLEBOT)
    read(client, article, agent=BAIDUSPIDER)
    read(client, article, agent="")
    client.get("/search/", {"q": "疫苗"}, HTTP_USER_AGENT=PHONE)
    client.get("/no-such-page/", HTTP_USER_AGENT=PHONE)
    client.force_login(admin_user)
    read(client, article)
    assert not SiteVisit.objects.exists()


def test_nothing_personal_is_stored(client, make_article):
    article = make_article(slug="private")
    read(client, article, address="203.0.113.7")
    (visit,) = SiteVisit.objects.values_list("visitor", flat=True)
    stored = repr(list(SiteVisit.objects.values())) + repr(
        list(DailySalt.objects.values())
    )
    assert "203.0.113.7" not in stored and "Pixel" not in stored
    assert len(visit) == 32


def test_a_finished_day_is_counted_into_the_ledger_and_its_hashes_go(
    client, make_article, home, org_tree
):
    section = home.add_child(
        instance=ContentIndexPage(title="农安县科普", slug="nongan")
    )
    org_tree["nongan"].sections.add(section)
    sync_rights()
    article = make_article(slug="counted")
    read(client, article)
    read(client, article, agent=DESKTOP)
    today = timezone.localdate()
    assert count_finished_days(timezone.now()) == []  # today is not over
    tomorrow = timezone.now() + timedelta(days=1)
    assert count_finished_days(tomorrow) == [today]
    record = ReachRecord.objects.get()
    assert (record.page_id, record.day, record.value) == (article.pk, today, 2)
    assert (record.method, record.metric, record.channel) == (
        "counted",
        "reads",
        "site",
    )
    assert record.organisation == org_tree["province"]  # outside every section
    assert not SiteVisit.objects.exists() and not DailySalt.objects.exists()
    assert count_finished_days(tomorrow) == []  # counted once
    assert ReachRecord.objects.get().value == 2


def test_a_new_day_has_a_new_salt(client, make_article):
    article = make_article(slug="salted")
    read(client, article)
    first = SiteVisit.objects.get().visitor
    SiteVisit.objects.update(day=timezone.localdate() - timedelta(days=1))
    DailySalt.objects.update(day=timezone.localdate() - timedelta(days=1))
    visitors._salt = (None, "")  # another process, or the next day
    site_reads.SEEN.keys.clear()
    read(client, article)
    second = SiteVisit.objects.exclude(visitor=first).get().visitor
    assert second != first


def test_the_day_is_worked_out_again_once_midnight_passes(monkeypatch):
    today = visitors.LocalDay()
    assert today() == timezone.localdate()
    midnight = today.until
    local_midnight = timezone.localtime(datetime.fromtimestamp(midnight, tz=UTC))
    assert local_midnight.time() == datetime.min.time()
    assert local_midnight.date() == timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(visitors.time, "time", lambda: midnight)
    assert today() == timezone.localdate() + timedelta(days=1)
    assert today.until > midnight


def test_an_ipv4_address_is_kept_whole_and_an_ipv6_one_cut_to_its_64_bits():
    assert visitors.listener_address("203.0.113.7") == "203.0.113.7"
    assert visitors.listener_address("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::"
    assert visitors.listener_address("unknown") == "unknown"
