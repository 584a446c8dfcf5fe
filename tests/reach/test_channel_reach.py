"""What each channel writes into the ledger: newspaper and radio estimates
from their outlets' settings (missing, not zero, without an input), the
screens' plays, play time and 覆盖人次 from proof of play, partners' pulls
and the items they delivered from the pull log."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels.models import Placement
from cms.advisories import Advisory
from partners.models import Partner, PullLog
from reach.daily import write_ledger
from reach.models import ReachRecord
from reach.reports import Figures, Ledger, Period
from screens.models import PlayDayRollup, RolledUpDay

pytestmark = pytest.mark.django_db

PAPER_SPEC = {
    "circulation": 50_000,
    "readers_per_copy": 2.5,
    "circulation_source": "2026 年报纸发行量核验",
}


def delivered(make_placement, page, outlet, **fields) -> Placement:
    """A placement that went out two hours ago."""
    placement = make_placement(page, outlet, **fields)
    Placement.objects.filter(pk=placement.pk).update(
        scheduled_at=timezone.now() - timedelta(hours=2),
        status=Placement.Status.DELIVERED,
        delivered_at=timezone.now() - timedelta(hours=1),
    )
    placement.refresh_from_db()
    return placement


def people(channel: str) -> list[ReachRecord]:
    return list(ReachRecord.objects.filter(channel=channel, metric="people"))


def test_a_delivered_column_reaches_circulation_times_readers(
    make_outlet, make_article, make_placement
):
    outlet = make_outlet("newspaper", spec=PAPER_SPEC)
    article = make_article()
    placement = delivered(make_placement, article, outlet)
    make_placement(article, outlet)  # planned: nothing yet
    write_ledger(timezone.now())
    (record,) = people("newspaper")
    assert (record.value, record.method, record.confidence) == (
        125_000,
        "estimated",
        "medium",
    )
    assert record.inputs == {
        "circulation": 50_000,
        "readers_per_copy": 2.5,
        "placement": placement.pk,
    }
    assert "2026 年报纸发行量核验" in record.source and outlet.name in record.source
    assert (record.page_id, record.organisation_id) == (article.pk, outlet.owner_id)
    assert record.day == timezone.localdate(placement.scheduled_at)
    write_ledger(timezone.now())
    assert len(people("newspaper")) == 1  # written once


def test_without_a_circulation_figure_the_estimate_is_missing_until_it_is_given(
    make_outlet, make_article, make_placement
):
    outlet = make_outlet("newspaper")
    delivered(make_placement, make_article(), outlet)
    write_ledger(timezone.now())
    (record,) = people("newspaper")
    assert record.value is None and record.confidence == "low"
    assert "发行量来源未填" in record.source
    outlet.spec = PAPER_SPEC
    outlet.save()
    (record,) = people("newspaper")
    assert record.value == 125_000 and record.confidence == "medium"


def test_a_radio_airing_reaches_its_slot_audience_and_notices_are_not_reach(
    make_outlet, make_episode, make_placement, editor
):
    outlet = make_outlet("radio", spec={"audience": 8000})
    episode = make_episode(1)
    delivered(make_placement, episode, outlet)
    notice = Advisory.objects.create(
        page=episode, kind="correction", reason="更正", at=timezone.now()
    )
    delivered(make_placement, episode, outlet, advisory=notice)
    write_ledger(timezone.now())
    (record,) = people("radio")
    assert record.value == 8000 and record.inputs["audience"] == 8000


@pytest.fixture
def played(make_screen, make_screen_group, screen_tree, make_article):
    """Yesterday: a card played 240 × 15 s on a site with 120 people an
    hour, and 60 × 15 s on a site whose footfall nobody counted."""
    article = make_article()
    counted_site = screen_tree.site
    counted_site.footfall_per_hour = 120
    counted_site.save()
    yesterday = timezone.localdate() - timedelta(days=1)
    for group, plays in ((counted_site, 240), (screen_tree.other_site, 60)):
        screen = make_screen(group=group, name=f"{group.name}大屏")
        PlayDayRollup.objects.create(
            screen=screen, day=yesterday, page=article, plays=plays, seconds=plays * 15
        )
    RolledUpDay.objects.create(day=yesterday, rolled_up_at=timezone.now())
    return article, yesterday


def test_screens_plays_play_time_and_people_passing(played, screen_tree):
    article, yesterday = played
    write_ledger(timezone.now())
    figures = {
        (r.metric, r.method): r
        for r in ReachRecord.objects.filter(channel="screens", page=article)
    }
    assert figures[("plays", "counted")].value == 300
    assert figures[("seconds", "counted")].value == 4500
    estimate = figures[("people", "estimated")]
    assert estimate.value == 120  # 240 × 15 s = 1 hour × 120 an hour
    assert estimate.inputs["groups_without_footfall"] == [screen_tree.other_site.pk]
    assert estimate.day == yesterday
    assert estimate.organisation_id == screen_tree.site.owner_id


def test_a_day_rolled_up_again_is_written_again(played):
    article, yesterday = played
    write_ledger(timezone.now())
    PlayDayRollup.objects.filter(plays=240).update(plays=480, seconds=7200)
    RolledUpDay.objects.update(rolled_up_at=timezone.now() + timedelta(seconds=1))
    write_ledger(timezone.now())
    plays = ReachRecord.objects.get(channel="screens", metric="plays")
    assert plays.value == 540


def test_without_any_footfall_the_screens_estimate_is_missing(
    make_screen, screen_tree, make_article
):
    yesterday = timezone.localdate() - timedelta(days=1)
    PlayDayRollup.objects.create(
        screen=make_screen(), day=yesterday, page=make_article(), plays=10, seconds=150
    )
    RolledUpDay.objects.create(day=yesterday, rolled_up_at=timezone.now())
    write_ledger(timezone.now())
    assert ReachRecord.objects.get(metric="people").value is None


def test_partner_pulls_are_counted_per_day_without_304s_or_reports(partner):
    yesterday = timezone.now() - timedelta(days=1)
    for status, path in [
        (200, "/feeds/mine/rss.xml"),
        (200, "/api/partner/items/"),
        (200, "/api/partner/figures/"),
        (304, "/feeds/mine/rss.xml"),
        (403, "/feeds/other/rss.xml"),
    ]:
        PullLog.objects.create(partner=partner, path=path, at=yesterday, status=status)
    PullLog.objects.create(
        partner=partner, path="/feeds/mine/", at=timezone.now(), status=200
    )
    write_ledger(timezone.now())
    (record,) = ReachRecord.objects.filter(channel="partner")
    assert (record.metric, record.value, record.day) == (
        "pulls",
        2,
        timezone.localdate(yesterday),
    )
    assert record.organisation_id == partner.owner_id
    write_ledger(timezone.now() + timedelta(days=1))  # today, once it is over
    assert ReachRecord.objects.filter(channel="partner").count() == 2
    assert write_ledger(timezone.now() + timedelta(days=1)) is None
    assert ReachRecord.objects.filter(channel="partner").count() == 2


def test_items_delivered_count_once_per_partner_and_item_on_their_first_day(
    partner, make_article, org_tree
):
    article, other = make_article(title="甲"), make_article(title="乙")
    second = Partner.objects.create(name="第二家", owner=org_tree["nongan"])
    now = timezone.now()
    two_days_ago, yesterday = now - timedelta(days=2), now - timedelta(days=1)
    for who, at, status, items in [
        (partner, two_days_ago, 200, [article.pk]),
        (partner, two_days_ago, 200, [article.pk]),
        (partner, yesterday, 200, [article.pk, other.pk]),
        (second, yesterday, 304, []),
        (second, yesterday, 200, [other.pk, 987654]),  # a page deleted since
        (None, yesterday, 200, [article.pk]),  # a keyless pull names no one
    ]:
        PullLog.objects.create(
            partner=who, path="/feeds/mine/rss.xml", at=at, status=status, items=items
        )
    write_ledger(now)
    delivered = {
        (r.partner_id, r.page_id, r.day, r.value, r.inputs["pulls"])
        for r in ReachRecord.objects.filter(metric="items")
    }
    assert delivered == {
        (partner.pk, article.pk, timezone.localdate(two_days_ago), 1, 2),
        (partner.pk, other.pk, timezone.localdate(yesterday), 1, 1),
        (second.pk, other.pk, timezone.localdate(yesterday), 1, 1),
    }
    year = Ledger(org_tree["province"], Period(now.year))
    assert year.by_partner("items") == {partner.pk: 2, second.pk: 1}
    assert year.by_partner("pulls") == {partner.pk: 3, second.pk: 1}
    assert year.total() == Figures()  # delivering an item is not reaching anyone


def test_the_reports_follow_a_day_rolled_up_again_without_an_organisations_plays(
    played, screen_tree, org_tree
):
    article, yesterday = played
    other = screen_tree.other_site
    other.owner = org_tree["nongan"]
    other.save()
    write_ledger(timezone.now())
    nongan = Ledger(org_tree["nongan"], Period(yesterday.year, yesterday.month))
    assert nongan.total().counted == 60
    PlayDayRollup.objects.filter(screen__group=other).delete()
    RolledUpDay.objects.update(rolled_up_at=timezone.now() + timedelta(seconds=1))
    write_ledger(timezone.now())
    nongan = Ledger(org_tree["nongan"], Period(yesterday.year, yesterday.month))
    assert nongan.total().counted == 0
    province = Ledger(org_tree["province"], Period(yesterday.year, yesterday.month))
    assert province.total().counted == 240
