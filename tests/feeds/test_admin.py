"""订阅源 in the admin: a feed definition created with its selection, refused
with a named field when the selection is impossible, listed with its five
addresses, and the menu's own RSS icon."""

from django.urls import reverse

from feeds.models import FeedDefinition

FORM = {
    "title": "公共卫生·合作方",
    "slug": "health-partners",
    "description": "卫生类稿件，供合作媒体转载",
    "item_count": "30",
    "full_text": "on",
    "access": "partner",
    "active": "on",
}


def test_a_feed_is_created_with_its_selection_and_listed_with_its_addresses(
    admin_client, topic, make_outlet
):
    outlet = make_outlet()
    response = admin_client.post(
        reverse("feed_definitions:add"),
        {
            **FORM,
            "outlets": [outlet.pk],
            "channels": ["newspaper"],
            "topics": [topic.pk],
            "content_types": ["article", "video"],
        },
    )
    assert response.status_code == 302
    feed = FeedDefinition.objects.get(slug="health-partners")
    assert (feed.channels, feed.content_types) == (["newspaper"], ["article", "video"])
    assert list(feed.outlets.all()) == [outlet] and list(feed.topics.all()) == [topic]

    listing = admin_client.get(reverse("feed_definitions:index")).content.decode()
    edit = admin_client.get(reverse("feed_definitions:edit", args=[feed.pk]))
    for name in ("rss.xml", "atom.xml", "feed.json", "podcast.xml", "mrss.xml"):
        assert f"/feeds/health-partners/{name}" in listing
        assert (
            f"http://testserver/feeds/health-partners/{name}" in edit.content.decode()
        )


def test_an_unknown_channel_or_type_is_refused_by_field(admin_client):
    response = admin_client.post(
        reverse("feed_definitions:add"),
        {**FORM, "channels": ["fax"], "content_types": ["podcast"], "item_count": "0"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"channels", "content_types", "item_count"} <= set(errors)
    assert not FeedDefinition.objects.exists()


def test_the_menu_draws_the_feeds_icon(admin_client):
    sprite = admin_client.get(reverse("wagtailadmin_sprite")).content.decode()
    assert 'id="icon-rss"' in sprite
