"""The embargo, as a property: for any mix of pages that are live, draft,
awaiting review, scheduled, expired, unpublished or private, no page that is
not live and due appears in any format of any feed — not its id, title,
address or enclosure — and its enclosure and thumbnail are not served. The
one exception is a withdrawal's tombstone: atom.xml names an unpublished
item's id in <at:deleted-entry ref="…"> (RFC 6721), and nothing else of it."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import PageViewRestriction

from cms.review import submit_for_review
from tests.feeds.fixtures import FEED_FORMATS

STATES = (
    "live",
    "draft",
    "submitted",
    "scheduled",
    "expired",
    "unpublished",
    "private",
)
KINDS = ("article", "video", "episode")


@pytest.fixture
def shared_media(make_media):
    return {"video": make_media("video"), "audio": make_media("audio")}


@pytest.fixture
def build_page(make_article, make_video, make_episode, editor, shared_media):
    """A page of a kind, brought into a state the way editors and the
    scheduler do it."""

    def build(index: int, kind: str, state: str):
        title = f"〔{index}〕{kind}-{state}"
        fields = {"title": title, "publish": state != "submitted" and state != "draft"}
        if state == "scheduled":
            fields["go_live_at"] = timezone.now() + timedelta(days=1)
        if kind == "article":
            page = make_article(**fields)
        elif kind == "video":
            page = make_video(video=shared_media["video"], **fields)
        else:
            page = make_episode(index, audio=shared_media["audio"], **fields)
        if state == "submitted":
            page.save_revision(user=editor)
            submit_for_review(page, editor)
        elif state == "expired":
            type(page).objects.filter(pk=page.pk).update(
                expire_at=timezone.now() - timedelta(seconds=1)
            )
        elif state == "unpublished":
            page.unpublish()
        elif state == "private":
            PageViewRestriction.objects.create(
                page=page, restriction_type="password", password="x"
            )
        return page

    return build


def traces(page) -> list[str]:
    """What would betray a page in a feed."""
    return [
        f"urn:kepu:page:{page.pk}<",
        f'urn:kepu:page:{page.pk}"',
        page.title,
        f"/{page.slug}/",
        f"/feeds/media/{page.pk}/",
    ]


def enclosure_paths(page) -> list[str]:
    media = getattr(page, "video", None) or getattr(page, "audio", None)
    if media is None:
        return []
    name = media.file.name.rsplit("/", 1)[-1]
    return [
        f"/feeds/media/{page.pk}/{media.pk}/{name}",
        f"/feeds/media/{page.pk}/{media.pk}/thumbnail/",
    ]


mixes = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from(STATES)),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(mix=mixes)
def test_nothing_hidden_ever_appears_in_any_feed(
    client, make_feed, build_page, topic, mix
):
    with transaction.atomic():
        make_feed("all")
        make_feed("health", topics=[topic], item_count=3)
        pages = [build_page(i, kind, state) for i, (kind, state) in enumerate(mix)]
        shown = {
            p.pk for p, (_k, state) in zip(pages, mix, strict=True) if state == "live"
        }
        hidden = [p for p in pages if p.pk not in shown]
        states = {p.pk: state for p, (_k, state) in zip(pages, mix, strict=True)}
        withdrawn = {
            p.pk
            for p, (_k, state) in zip(pages, mix, strict=True)
            if state == "unpublished"
        }
        for slug in ("all", "health"):
            for name in FEED_FORMATS:
                response = client.get(f"/feeds/{slug}/{name}")
                assert response.status_code == 200
                text = response.content.decode()
                for page in hidden:
                    tombstone = f'<at:deleted-entry ref="urn:kepu:page:{page.pk}"'
                    if name == "atom.xml" and page.pk in withdrawn:
                        text = text.replace(tombstone, "")
                    assert tombstone not in text, (slug, name, "tombstone")
                    for trace in traces(page):
                        assert trace not in text, (slug, name, trace)
        rss = client.get("/feeds/all/rss.xml").content.decode()
        for page in pages:
            if page.pk in shown:
                assert f"urn:kepu:page:{page.pk}<" in rss
        for page in hidden:
            gone = 410 if states[page.pk] in ("expired", "unpublished") else 404
            for path in enclosure_paths(page):
                assert client.get(path).status_code == gone
                assert client.head(path).status_code == gone
        transaction.set_rollback(True)
