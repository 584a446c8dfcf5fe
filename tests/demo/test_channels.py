"""The demo's channels as `make run` loads them: the big screens (the tree,
unpaired screens, playlists whose videos have real screen renditions, the
全国科普日 item) and the partner feeds (one partner per demo outlet with a key
scoped to its feed, printed under DEBUG only, and every format of every feed
parsing with the database's items) and the short-video accounts (their
checks passing, one post waiting in 待发布, one posted, every demo video
exportable to every platform); a second load changes nothing. One demo
load for the module: it is the slow part."""

import io
import json
import re
from datetime import timedelta

import feedparser
import ffmpeg
import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from channels.models import Placement
from channels.short_video.adapter import PLATFORMS
from channels.short_video.posts import overdue_posts, waiting_posts
from cms.pages import VideoPage
from demo import content
from demo.feeds import load_feeds
from demo.loader import load_demo
from demo.outlets import load_outlets
from demo.partners import load_partners
from demo.reach import load_reach
from demo.screens import load_screens
from demo.short_video import ACCOUNTS, load_short_video
from feeds.models import FeedDefinition
from feeds.selection import feed_pages
from feeds.views import FORMATS, narrowed
from media_pipeline.export import check
from media_pipeline.models import MediaProbe
from partners.models import KEY_PATTERN, ApiKey, Partner, PullLog
from reach.models import ReachRecord
from screens import pairing
from screens.models import PlaylistItem, Screen, ScreenGroup
from screens.playlist import resolve

PRINTED_KEY = re.compile(r"demo key for (.+) \((partner-[a-z-]+)\): (kp_\S+)")


# One worker runs the whole module (make test: --dist loadgroup), so its
# module-scoped fixtures are made once.
pytestmark = pytest.mark.xdist_group("demo-channels")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        load_outlets()
        screens = load_screens()
        short_video = load_short_video()
        load_feeds()
        partners = load_partners()
        yield {
            "screens": screens,
            "short_video": short_video,
            "partners": partners,
            "reach": load_reach(),
        }
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo, db):
    return demo


# Big screens ---------------------------------------------------------------------


def test_demo_tree_runs_province_to_three_sites(loaded):
    assert "groups created 6" in loaded["screens"]
    site = ScreenGroup.objects.get(name="合隆镇村文化广场")
    lineage = ScreenGroup.objects.filter(pk__in=site.lineage_ids).order_by("tier")
    assert [g.name for g in lineage] == ["吉林省", "长春市", "农安县", site.name]
    assert ScreenGroup.objects.filter(tier=4).count() == 3


def test_demo_screens_wait_for_pairing(loaded):
    assert Screen.objects.count() == 3
    assert not any(screen.is_paired for screen in Screen.objects.all())


def test_demo_loop_has_videos_with_real_screen_renditions_and_cards(
    loaded, read_public, tmp_path
):
    loop = resolve(ScreenGroup.objects.get(name="农安火车站候车厅"), "landscape")
    kinds = [entry["kind"] for entry in loop.entries]
    assert kinds.count("video") == 3 and "card" in kinds and not loop.warnings
    video = next(entry for entry in loop.entries if entry["kind"] == "video")
    path = tmp_path / "screen.mp4"
    path.write_bytes(read_public(video["url"]))
    stream = ffmpeg.probe(str(path))["streams"][0]
    assert (stream["width"], stream["height"]) == (1920, 1080)


def test_demo_has_a_science_day_item_and_day_parts(loaded):
    science_day = PlaylistItem.objects.get(campaign__name="全国科普日")
    assert science_day.starts_on and science_day.ends_on
    assert PlaylistItem.objects.exclude(day_parts=[]).count() >= 2


def test_a_demo_screen_can_be_paired(loaded):
    request, secret = pairing.start_pairing()
    screen = Screen.objects.get(name="社区竖屏")
    pairing.claim(request.code, screen=screen)
    assert pairing.pick_up(request.code, secret)[0] == "paired"


def test_loading_the_screens_again_changes_nothing(loaded):
    assert load_screens() == (
        "screens: groups created 0, screens created 0, playlist items created 0, "
        "screen renditions made 0"
    )


# Short video ---------------------------------------------------------------------


def test_demo_short_video_accounts_plan_videos_that_pass_their_checks(loaded):
    assert loaded["short_video"] == (
        "short-video accounts: created 3, placements created 11"
    )
    planned = Placement.objects.filter(
        outlet__channel="short_video", status=Placement.Status.PLANNED
    )
    assert planned.count() == 3 * len(ACCOUNTS)
    for placement in planned:
        problems = placement.outlet.adapter.check(
            placement.page.specific, placement.outlet
        )
        assert problems == [], (placement.outlet.name, problems)


def test_one_demo_post_waits_overdue_in_the_queue_and_one_is_posted(loaded):
    [waiting] = waiting_posts()
    assert waiting.outlet.parsed_spec.platform == "douyin"
    assert overdue_posts() == [waiting]
    [video] = waiting.outputs.filter(mime_type="video/mp4")
    stream = ffmpeg.probe(video.file.path, select_streams="v")["streams"][0]
    assert (stream["width"], stream["height"]) == (1080, 1920)
    posted = Placement.objects.exclude(post_address="").get()
    assert posted.outlet.parsed_spec.platform == "wechat_channels"
    assert posted.status == Placement.Status.DELIVERED and posted.posted_at


def test_every_demo_video_exports_to_every_platform_its_length_allows(loaded):
    for page in VideoPage.objects.all():
        info = MediaProbe.objects.get(media=page.video).info()
        for preset in PLATFORMS.values():
            if preset.max_seconds and info.duration > preset.max_seconds:
                continue
            problems = check(info, preset, has_subtitles=True, reframe="blur")
            assert problems == [], (page.title, preset.name, problems)


def test_loading_the_short_video_accounts_again_changes_nothing(loaded):
    assert load_short_video() == (
        "short-video accounts: created 0, placements created 0"
    )


# Partner feeds -------------------------------------------------------------------


def test_each_demo_outlet_has_a_partner_with_a_scoped_key(loaded):
    assert loaded["partners"].startswith("partners: created 2, keys created 2")
    assert (
        "kp_" not in loaded["partners"]
    )  # DEBUG is off in tests: nothing secret printed
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


# A year of reach ------------------------------------------------------------------


def test_the_demo_has_a_year_of_reach_made_by_the_ledger_writers(loaded, tmp_path):
    today = timezone.localdate()
    site = ReachRecord.objects.filter(channel="site", method="counted")
    assert site.filter(day__lte=today - timedelta(days=300)).exists()
    assert not site.filter(day__gte=today).exists()  # only finished days
    pulls = ReachRecord.objects.filter(channel="partner", metric="pulls")
    assert (
        pulls.aggregate(n=Sum("value"))["n"]
        == PullLog.objects.filter(status=200, at__date__lt=today).count()
    )
    delivered = ReachRecord.objects.filter(channel="partner", metric="items")
    carried = {
        (pull.partner_id, page)
        for pull in PullLog.objects.filter(status=200, at__date__lt=today)
        for page in pull.items
    }
    assert carried and {(r.partner_id, r.page_id) for r in delivered} == carried
    newspaper = ReachRecord.objects.get(
        channel="newspaper",
        day__lt=today,
        inputs__placement__isnull=False,
        page__title__contains="第1期",
    )
    assert newspaper.value == 215_000 and newspaper.method == "estimated"
    assert ReachRecord.objects.filter(channel="short_video", method="imported").exists()
    assert load_reach() == "reach: already loaded"
    output = tmp_path / "report.xlsx"
    call_command(
        "reach_report",
        year=today.year,
        format="xlsx",
        output=output,
        stdout=io.StringIO(),
    )
    assert output.stat().st_size > 0
