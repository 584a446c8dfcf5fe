"""The embargo and the scopes, as a property: for any mix of pages that are
live, draft, awaiting review, scheduled, expired, unpublished or private,
and any scope of a key over partner feeds, nothing that is not live and due
appears in a keyed feed or in the partner API, a feed outside the key's
scope is refused without a trace of any item, and the API shows exactly
what the key's feeds select."""

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.models import FeedDefinition
from partners.models import ApiKey, Partner
from tests.feeds.fixtures import FEED_FORMATS
from tests.feeds.test_security import (  # noqa: F401 - fixtures used by name
    KINDS,
    STATES,
    build_page,
    shared_media,
    traces,
)

# slug: (definition, which (kind, live) pages it selects)
FEEDS = {
    "everything": ({}, lambda kind: True),
    "health": ({"topics": "topic"}, lambda kind: kind != "episode"),
    "videos": ({"content_types": ["video"]}, lambda kind: kind == "video"),
}


def make_feeds(make_feed, topic) -> None:
    for slug, (fields, _selects) in FEEDS.items():
        fields = {k: [topic] if v == "topic" else v for k, v in fields.items()}
        make_feed(slug, access="partner", **fields)


def api_ids(client, headers) -> list[int]:
    response = client.get("/api/partner/items/?page_size=100", headers=headers)
    assert response.status_code == 200
    return [item["id"] for item in response.json()["results"]]


mixes = st.lists(
    st.tuples(st.sampled_from(KINDS), st.sampled_from(STATES)),
    min_size=1,
    max_size=5,
)
scopes = st.sets(st.sampled_from(sorted(FEEDS)), max_size=len(FEEDS))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(mix=mixes, scope=scopes)
def test_keys_read_their_scope_and_nothing_hidden(
    client,
    make_feed,
    build_page,  # noqa: F811 - the fixture imported above
    topic,
    mix,
    scope,
):
    with transaction.atomic():
        make_feeds(make_feed, topic)
        partner = Partner.objects.create(name="合作方", contact_name="联系人")
        readable = FeedDefinition.objects.filter(slug__in=scope)
        _key, clear = ApiKey.issue(partner, readable, rate_limit_per_minute=10_000)
        headers = {"Authorization": f"Bearer {clear}"}
        pages = [build_page(i, kind, state) for i, (kind, state) in enumerate(mix)]
        shown = [
            (page, kind)
            for page, (kind, state) in zip(pages, mix, strict=True)
            if state == "live"
        ]
        shown_ids = {page.pk for page, _kind in shown}
        hidden = [page for page in pages if page.pk not in shown_ids]
        withdrawn = {
            page.pk
            for page, (_kind, state) in zip(pages, mix, strict=True)
            if state == "unpublished"
        }

        for slug in FEEDS:
            for name in FEED_FORMATS:
                response = client.get(f"/feeds/{slug}/{name}", headers=headers)
                text = response.content.decode()
                if slug in scope:
                    assert response.status_code == 200
                    suspects = hidden
                else:
                    assert response.status_code == 403
                    suspects = pages
                for page in suspects:
                    # A withdrawal's Atom tombstone names its id, nothing else.
                    tombstone = f'<at:deleted-entry ref="urn:kepu:page:{page.pk}"'
                    if name == "atom.xml" and slug in scope and page.pk in withdrawn:
                        text = text.replace(tombstone, "")
                    assert tombstone not in text, (slug, name, "tombstone")
                    for trace in traces(page):
                        assert trace not in text, (slug, name, trace)

        expected = {
            page.pk
            for page, kind in shown
            if any(FEEDS[slug][1](kind) for slug in scope)
        }
        ids = api_ids(client, headers)
        assert set(ids) == expected and len(ids) == len(expected)
        # A withdrawn item the key could read answers 410 (when and why).
        gone = {
            page.pk
            for page, (kind, state) in zip(pages, mix, strict=True)
            if state == "unpublished" and any(FEEDS[slug][1](kind) for slug in scope)
        }
        for page in pages:
            detail = client.get(f"/api/partner/items/{page.pk}/", headers=headers)
            wanted = 200 if page.pk in expected else 410 if page.pk in gone else 404
            assert detail.status_code == wanted
            if page.pk not in expected:
                assert page.title not in detail.content.decode()
        transaction.set_rollback(True)
