"""更正 and 撤回 end to end on the demo: the 《求证·科学》 episode the paper
printed (and its partner pulled, and a screen group loops) is withdrawn, and
every recipient gets its own channel's signal with its state recorded; a
correction re-checks the column's next placement and puts a 更正启事 on the
paper's next issue. One demo load for the module."""

import hashlib
import hmac
import json
from datetime import timedelta

import feedparser
import pytest
from django.db import transaction
from django.utils import timezone
from lxml import etree

from channels.models import AdvisoryRecipient, Outlet, Placement
from channels.queue import enqueue_due_placements
from cms.advisories import Advisory, withdraw
from demo import content
from demo.feeds import load_feeds
from demo.loader import load_demo
from demo.outlets import load_outlets
from demo.partners import load_partners
from demo.screens import load_groups
from partners.models import ApiKey, Partner
from screens.models import PlaylistItem, ScreenGroup

SECRET = "demo-partner-hook-secret"
TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"


# One worker runs the whole module (make test: --dist loadgroup), so its
# module-scoped fixtures are made once.
pytestmark = pytest.mark.xdist_group("demo-advisories")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        load_outlets()
        load_groups()
        load_feeds()
        load_partners()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def paper(demo, db) -> Outlet:
    return Outlet.objects.get(name=content.NEWSPAPER_COLUMN.title)


def printed_episode(paper: Outlet):
    placement = paper.placements.filter(status="delivered").latest("scheduled_at")
    return placement.page.specific


def corrected(page, review_and_publish, wrong: str, right: str, **changes):
    for name, value in changes.items():
        setattr(page, name, value)
    page.corrections = [("correction", {"wrong": wrong, "right": right})]
    return review_and_publish(page)


def test_a_withdrawal_reaches_every_channel_the_item_went_to(
    paper, webhook, announcing, client, admin_client
):
    episode = printed_episode(paper)
    url, receiver = webhook
    partner = Partner.objects.get(name=content.NEWSPAPER_COLUMN.outlet_name)
    partner.notice_method, partner.notice_url = "webhook", url
    partner.notice_secret = SECRET
    partner.save()
    group = ScreenGroup.objects.get(name="长春市")
    PlaylistItem.objects.create(group=group, page=episode, kind="card")
    _key, clear = ApiKey.issue(partner, [partner.keys.first().feeds.first()])
    feed = f"/feeds/partner-{content.NEWSPAPER_COLUMN.slug}/atom.xml?key={clear}"
    entry_id = feedparser.parse(client.get(feed).content).entries[0].id
    address = episode.url

    with announcing():
        withdraw(episode, reason="引用的数据已被原作者更正")

    withdrawal = Advisory.objects.get(page=episode)
    rows = {row.channel: row for row in withdrawal.recipients.all()}
    assert set(rows) == {"newspaper", "partners", "big_screen"}

    [(headers, body)] = receiver.received
    signed = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Kepu-Signature"] == f"sha256={signed}"
    assert json.loads(body)["advisory"]["reason"] == "引用的数据已被原作者更正"
    assert rows["partners"].state == "delivered"

    kill = rows["newspaper"].placement
    assert kill.advisory == withdrawal and rows["newspaper"].state == "pending"
    enqueue_due_placements(timezone.now() + timedelta(minutes=2))
    rows["newspaper"].refresh_from_db()
    assert rows["newspaper"].state == "delivered"
    nitf = next(o for o in kill.outputs.all() if o.name.endswith(".xml"))
    docdata = etree.fromstring(nitf.file.read()).find(".//docdata")
    assert docdata.get("management-status") == "canceled"

    assert rows["big_screen"].name.endswith("长春市")
    assert rows["big_screen"].state in ("sent", "delivered")

    atom = etree.fromstring(client.get(feed).content)
    [tombstone] = atom.iter(TOMBSTONES)
    assert tombstone.get("ref") == entry_id
    assert client.get(address).status_code == 410

    page = admin_client.get(f"/admin/channels/advisories/inspect/{withdrawal.pk}/")
    html = page.content.decode()
    for row in rows.values():
        assert row.name in html


def test_a_correction_rechecks_the_next_placement_and_plans_a_notice(
    paper, announcing, review_and_publish
):
    upcoming = paper.placements.filter(status="planned").earliest("scheduled_at")
    too_long = [("paragraph", f"<p>{'科学求证' * 300}</p>")]
    with announcing():
        corrected(upcoming.page.specific, review_and_publish, "一", "二", body=too_long)
    upcoming.refresh_from_db()
    assert upcoming.status == "failed"
    assert upcoming.error.startswith("更正后复查未通过")
    assert "超出版面" in upcoming.error

    episode = printed_episode(paper)
    with announcing():
        corrected(episode, review_and_publish, "每天喝八杯水", "按口渴程度饮水")
    correction = Advisory.objects.get(page=episode, kind="correction")
    notice = Placement.objects.get(advisory=correction)
    assert notice.outlet == paper and notice.scheduled_at > timezone.now()
    assert (
        timezone.localtime(notice.scheduled_at).isoweekday() in paper.cadence_weekdays
    )
    row = AdvisoryRecipient.objects.get(placement=notice)
    assert row.state == "pending"
