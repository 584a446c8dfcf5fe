"""The upgrade from the previous release (before the apps moved out of
channels/ and cms/): its migration history is still this graph, a database it
left migrates forward with `migrate` and no manual step, and every record,
address and GUID a partner, screen or podcast app holds is unchanged."""

import feedparser
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult

from channels.models import Placement
from cms.pages import ArticlePage
from partners.models import ApiKey
from screens.models import Screen

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

# Addresses handed out before the move: feeds and enclosures in partners'
# readers, the podcast feed in podcast apps, the screens' API in players.
PUBLISHED_ADDRESSES = [
    "/feeds/all/rss.xml",
    "/feeds/all/atom.xml",
    "/feeds/all/feed.json",
    "/feeds/all/podcast.xml",
    "/feeds/all/mrss.xml",
    "/channels/podcast/kexue-wufenzhong.xml",
    "/api/partner/items/",
    "/api/partner/items/7/",
    "/api/partner/feeds/",
    "/api/partner/schema/",
    "/api/screens/playlist/",
    "/api/screens/heartbeat/",
    "/api/screens/plays/",
    "/player/",
    "/admin/channels/calendar/",
    "/admin/big-screen/groups/",
]


def test_the_previous_release_history_is_part_of_this_graph(db):
    graph = MigrationExecutor(connection).loader.graph
    assert PREVIOUS_RELEASE_MIGRATIONS <= set(graph.nodes)


@pytest.mark.parametrize("address", PUBLISHED_ADDRESSES)
def test_a_published_address_still_resolves(address):
    try:
        resolve(address)
    except Resolver404:
        pytest.fail(f"{address} no longer resolves")


def snapshot() -> dict:
    return {
        "pages": list(ArticlePage.objects.values("id", "url_path", "live")),
        "placements": list(
            Placement.objects.values("id", "page_id", "outlet_id", "status")
        ),
        "screens": list(Screen.objects.values("id", "token_hash", "group_id")),
        "keys": list(ApiKey.objects.values("id", "key_hash", "partner_id")),
    }


def rss_guids(client) -> list[str]:
    parsed = feedparser.parse(client.get("/feeds/all/rss.xml").content)
    return [entry.id for entry in parsed.entries]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_previous_release_database_migrates_forward_unchanged(
    client, make_article, make_outlet, make_placement, paired_screen, partner, make_feed
):
    article = make_article()
    make_placement(article, make_outlet())
    ApiKey.issue(partner, [make_feed("all")])
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
    before, guids = snapshot(), rss_guids(client)

    call_command("migrate", verbosity=0)

    assert snapshot() == before
    assert rss_guids(client) == guids == [f"urn:kepu:page:{article.pk}"]
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "ingest.tasks.poll_feed"
    assert import_string(queued.task_path).name == "poll_feed"  # imports again
