"""The upgrade from the previous release (before the apps moved out of
channels/ and cms/). The apps kept their labels and migrations, so its
migration history is still part of this graph; the one migration since
(ingest's task paths) is replayed on a database left at the previous
release's state, which then migrates forward with `migrate` and no manual
step; and every record, address and GUID a partner, screen or podcast app
holds is unchanged."""

from datetime import timedelta

import feedparser
import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import resolve
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult
from wagtail.models import Page
from wagtail.search.models import IndexEntry

from channels.models import Outlet, Placement
from cms.files import FileSnapshot
from cms.organisations import Organisation, Scope
from cms.pages import ArticlePage, ColumnPage
from feeds.models import FeedDefinition
from partners.models import ApiKey, Partner
from screens.models import PlaylistItem, Screen, ScreenGroup

# Every migration of the previous release (release of de3d3dc): a database it
# created has exactly these rows in django_migrations.
PREVIOUS_RELEASE_MIGRATIONS = {
    ("big_screen", "0001_initial"),
    ("big_screen", "0002_loop_generation"),
    ("feeds", "0001_initial"),
    ("feeds", "0002_live_page_expiry_index"),
    ("ingest", "0001_initial"),
    ("ingest", "0002_editor_permissions"),
    ("channels", "0001_initial"),
    ("channels", "0002_editor_permissions"),
    ("partners", "0001_initial"),
    ("cms", "0001_initial"),
    ("cms", "0002_review_workflow"),
    ("cms", "0003_search_title_body_index"),
    ("media_pipeline", "0001_initial"),
}
PREVIOUS_LEAVES = [("ingest", "0002_editor_permissions")]
OLD_POLL_TASK = "channels.ingest.tasks.poll_feed"

# Addresses handed out before the move, with the view that answered them:
# feeds and enclosures in partners' readers, the podcast feed in podcast
# apps, the screens' API in players, signed package links at desks. (A view
# name, not only "resolves": Wagtail's page route takes any path ending in /.)
PUBLISHED_ADDRESSES = {
    "/feeds/all/rss.xml": "feeds:feed",
    "/feeds/all/atom.xml": "feeds:feed",
    "/feeds/all/feed.json": "feeds:feed",
    "/feeds/all/podcast.xml": "feeds:feed",
    "/feeds/all/mrss.xml": "feeds:feed",
    "/feeds/all/cover.png": "feeds:cover",
    "/feeds/media/12/3/clip.mp4": "files:enclosure",
    "/feeds/media/12/3/renditions/4/douyin.mp4": "files:rendition",
    "/feeds/media/12/3/thumbnail/": "files:thumbnail",
    "/channels/podcast/kexue-wufenzhong.xml": "podcast_feed",
    "/channels/outputs/abc.def/": "channel_output",
    "/api/partner/items/": "partner_api:items",
    "/api/partner/items/7/": "partner_api:item",
    "/api/partner/feeds/": "partner_api:feeds",
    "/api/partner/schema/": "partner_api:schema",
    "/api/screens/pair/": "big_screen:pair",
    "/api/screens/pair/status/": "big_screen:pair_status",
    "/api/screens/playlist/": "big_screen:playlist",
    "/api/screens/heartbeat/": "big_screen:heartbeat",
    "/api/screens/plays/": "big_screen:plays",
    "/player/": "big_screen:player",
    "/player/sw.js": "big_screen:player_sw",
    "/admin/channels/calendar/": "channel_calendar:index",
    "/admin/channels/report/": "channel_report:index",
    "/admin/big-screen/groups/": "big_screen_groups:index",
    "/admin/big-screen/reports/": "screen_reports:index",
}


def test_the_previous_release_history_is_part_of_this_graph(db):
    graph = MigrationExecutor(connection).loader.graph
    assert PREVIOUS_RELEASE_MIGRATIONS <= set(graph.nodes)


@pytest.mark.parametrize(("address", "view_name"), PUBLISHED_ADDRESSES.items())
def test_a_published_address_is_still_answered_by_its_view(address, view_name):
    assert resolve(address).view_name == view_name


def snapshot() -> dict:
    return {
        "pages": list(ArticlePage.objects.values("id", "url_path", "live")),
        "placements": list(
            Placement.objects.values("id", "page_id", "outlet_id", "status")
        ),
        "screens": list(Screen.objects.values("id", "token_hash", "group_id")),
        "keys": list(ApiKey.objects.values("id", "key_hash", "partner_id")),
    }


RSS = "/feeds/all/rss.xml"


def rss_guids(client) -> list[str]:
    parsed = feedparser.parse(client.get(RSS).content)
    return [entry.id for entry in parsed.entries]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_previous_release_database_migrates_forward_unchanged(
    client,
    make_article,
    make_outlet,
    make_placement,
    paired_screen,
    partner,
    make_feed,
    make_video,
):
    article = make_article()
    video = make_video()
    make_placement(article, make_outlet())
    ApiKey.issue(partner, [make_feed("all")])
    # Read with this release's code, which needs this release's tables.
    guids = rss_guids(client)
    [enclosure] = feedparser.parse(client.get(RSS).content).entries[0].enclosures
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS_LEAVES)  # the schema and history it left
    DBTaskResult.objects.create(
        task_path=OLD_POLL_TASK,
        args_kwargs={"args": [1], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    before = snapshot()

    call_command("migrate", verbosity=0)

    assert snapshot() == before
    pages = sorted([article.pk, video.pk], reverse=True)
    assert rss_guids(client) == guids == [f"urn:kepu:page:{pk}" for pk in pages]
    # Files of what was live are recorded as reviewed: their addresses stay.
    entry = feedparser.parse(client.get(RSS).content).entries[0]
    assert entry.enclosures == [enclosure]
    assert client.get(enclosure.href).status_code == 200
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "ingest.tasks.poll_feed"
    assert import_string(queued.task_path).name == "poll_feed"  # imports again
    # An item published before corrections existed can be withdrawn after.
    ArticlePage.objects.get(pk=article.pk).unpublish()
    assert client.get(article.url).status_code == 410


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrating_back_before_approved_files_and_forward_again(
    client, make_feed, make_video
):
    """The recorded files go with the table and are recorded again, once."""
    make_feed("all")
    video = make_video()
    [enclosure] = feedparser.parse(client.get(RSS).content).entries[0].enclosures
    call_command("migrate", "cms", "0004_science_review_task", verbosity=0)
    call_command("migrate", verbosity=0)
    assert client.get(enclosure.href).status_code == 200
    assert FileSnapshot.objects.filter(revision=video.live_revision_id).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_placements_from_before_post_addresses_migrate_forward_unposted(
    make_article, make_outlet, make_placement
):
    make_placement(make_article(), make_outlet())
    call_command("migrate", "channels", "0005_sent_email", verbosity=0)
    before = snapshot()
    call_command("migrate", verbosity=0)
    assert snapshot() == before
    posts = Placement.objects.values_list("post_address", "posted_at", "posted_by")
    assert list(posts) == [("", None, None)]


def column_titles(query: str) -> list[str]:
    return [page.title for page in Page.objects.live().search(query)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_column_indexed_before_bigrams_is_found_after_migrating(home):
    column = ColumnPage(
        title="听科学怎么说",
        channel=ColumnPage.Channel.RADIO,
        outlet_name="新闻综合广播FM91.6",
        cadence="每周四07:25播出",
        description="请专家用大白话讲清一个生活中的科学问题。",
    )
    home.add_child(instance=column)
    entry = IndexEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ColumnPage),
        object_id=str(column.pk),
    )
    # The entry as the previous release made it: the title as one word.
    entry.update(body="")
    assert column_titles("听科学怎么说") == []
    call_command("migrate", verbosity=0)  # applies nothing: indexes nothing
    assert column_titles("听科学怎么说") == []

    call_command("migrate", "cms", "0007_page_cache_generation", verbosity=0)
    call_command("migrate", verbosity=0)

    assert column_titles("听科学怎么说") == ["听科学怎么说"]
    assert column_titles("大白话") == ["听科学怎么说"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_what_existed_before_organisations_belongs_to_the_root_after(
    make_outlet, make_feed, reviewer
):
    make_outlet()
    make_feed("all")
    ScreenGroup.objects.create(
        name="吉林省", tier=1, operator="省科协", contact_name="王"
    )
    Partner.objects.create(name="长春晚报", contact_name="李")
    owned = {
        Outlet: "name",
        FeedDefinition: "slug",
        ScreenGroup: "name",
        Partner: "name",
    }
    before = {
        model: list(model.objects.values("id", label)) for model, label in owned.items()
    }

    call_command("migrate", "cms", "0009_root_page_title", verbosity=0)
    call_command("migrate", verbosity=0)

    root = Organisation.objects.get()
    assert (root.name, root.tier, root.parent, root.path) == (
        "本级单位",
        Organisation.Tier.PROVINCE,
        None,
        f"/{root.pk}/",
    )
    for model, label in owned.items():
        assert list(model.objects.values("id", label)) == before[model]
        assert set(model.objects.values_list("owner", flat=True)) == {root.pk}
    # Everyone who worked before works on all of it still.
    assert set(root.staff_groups.all()) == set(Group.objects.all())
    scope = Scope.of(reviewer)
    assert scope.filter(Outlet.objects.all()).count() == Outlet.objects.count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_loop_entries_that_existed_before_keep_no_time_of_adding(make_article):
    """Otherwise they would count as taken up for every package pushed
    before the upgrade (tiers.receipts)."""
    group = ScreenGroup.objects.create(
        name="吉林省", tier=1, operator="省科协", contact_name="王"
    )
    page = make_article()
    old = PlaylistItem.objects.create(group=group, kind="card", page=page)

    call_command("migrate", "big_screen", "0009_owner_organisation", verbosity=0)
    call_command("migrate", verbosity=0)

    assert PlaylistItem.objects.get(pk=old.pk).added_at is None
    new = PlaylistItem.objects.create(group=group, kind="card", page=page)
    assert new.added_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_advisory_recipients_recorded_before_belong_to_what_they_stand_for(
    make_outlet, make_article, org_tree, make_upstream_feed
):
    from channels.models import AdvisoryRecipient
    from cms.advisories import Advisory
    from ingest.models import UpstreamFeed

    county = org_tree["nongan"]
    outlet = make_outlet(owner=county)
    partner = Partner.objects.create(name="长春晚报", contact_name="李", owner=county)
    group = ScreenGroup.objects.create(
        name="农安县", tier=3, operator="县科协", contact_name="王", owner=county
    )
    page = make_article()
    advisory = Advisory.objects.create(kind="withdrawal", page=page, title=page.title)
    references = [f"outlet:{outlet.pk}", f"partner:{partner.pk}", f"group:{group.pk}"]
    for reference in [*references, "platform:douyin"]:
        AdvisoryRecipient.objects.create(
            advisory=advisory,
            channel="x",
            name=reference,
            reference=reference,
            outlet=outlet if reference.startswith("outlet") else None,
            sender="s",
            sent="撤稿",
        )
    upstream = make_upstream_feed("https://upstream.example/rss.xml")

    call_command("migrate", "channels", "0009_urgent_placements", verbosity=0)
    call_command("migrate", "ingest", "0003_task_path_after_move", verbosity=0)
    call_command("migrate", verbosity=0)

    owners = dict(
        AdvisoryRecipient.objects.values_list("reference", "organisation__name")
    )
    assert owners == {
        **dict.fromkeys(references, "农安县科协"),
        "platform:douyin": "吉林省科协",
    }
    assert UpstreamFeed.objects.get(pk=upstream.pk).owner == org_tree["province"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reach_records_outlets_and_groups_from_before_channel_reach_carry_forward(
    make_outlet, make_article
):
    from reach.ledger import record
    from reach.models import ReachRecord
    from reach.placements import write_estimate

    outlet = make_outlet("newspaper", spec={"target_chars": 800, "tolerance": 80})
    group = ScreenGroup.objects.create(
        name="农安县", tier=3, operator="县科协", contact_name="王"
    )
    article = make_article()
    read = record(
        f"site:2026-03-01:{article.pk}",
        page=article,
        channel="site",
        organisation=Organisation.objects.get(),
        day="2026-03-01",
        metric="reads",
        method="counted",
        value=120,
        source="网站访问记录",
        confidence="high",
    )

    call_command("migrate", "reach", "0001_initial", verbosity=0)
    call_command("migrate", "big_screen", "0011_emergency_alert", verbosity=0)
    call_command("migrate", "partners", "0003_owner_organisation", verbosity=0)
    call_command("migrate", verbosity=0)

    kept = ReachRecord.objects.get(pk=read.pk)
    assert (kept.value, kept.metric, kept.outlet, kept.partner) == (
        120,
        "reads",
        None,
        None,
    )
    outlet.refresh_from_db()
    assert outlet.spec == {"target_chars": 800, "tolerance": 80}
    assert ScreenGroup.objects.get(pk=group.pk).footfall_per_hour is None
    # An outlet that never had a circulation figure: its estimates are missing.
    placement = Placement.objects.create(
        page=article, outlet=outlet, scheduled_at=timezone.now(), status="delivered"
    )
    assert write_estimate(placement).value is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pulls_logged_before_their_items_were_kept_count_as_pulls_only(partner):
    from partners.models import PullLog
    from reach.daily import write_ledger
    from reach.models import ReachRecord

    yesterday = timezone.now() - timedelta(days=1)
    pull = PullLog.objects.create(
        partner=partner, path="/feeds/mine/rss.xml", at=yesterday, status=200
    )

    call_command("migrate", "partners", "0004_reported_figures", verbosity=0)
    call_command("migrate", "reach", "0002_channel_reach", verbosity=0)
    call_command("migrate", verbosity=0)

    assert PullLog.objects.get(pk=pull.pk).items == []
    write_ledger(timezone.now())
    assert set(
        ReachRecord.objects.filter(channel="partner").values_list("metric", "value")
    ) == {("pulls", 1)}
