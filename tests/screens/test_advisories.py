"""更正 and 撤回 on the screens: the recipients are the groups whose loops had
the item; the loop changes at the next poll (no 304); each screen confirms
with a heartbeat naming the changed loop, and the group's row counts them."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.models import AdvisoryRecipient, Placement
from cms.advisories import Advisory, withdraw
from screens.adapter import BigScreenAdapter
from screens.models import AdvisoryConfirmation, EmergencyItem, PlaylistItem

PLAYLIST = "/api/screens/playlist/"
HEARTBEAT = "/api/screens/heartbeat/"


@pytest.fixture
def poll(client):
    """(ETag, body) of a screen's playlist, as its player polls it."""

    def get(paired, etag: str | None = None):
        headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
        response = client.get(PLAYLIST, **paired.headers, **headers)
        assert response.status_code == 200, response.status_code
        return response["ETag"], response.json()

    return get


@pytest.fixture
def beat(client, django_capture_on_commit_callbacks):
    """Send a heartbeat naming a loop; the recount runs at its commit."""

    def send(paired, loop: str | None):
        body = {"version": "v1", "loop": loop}
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                HEARTBEAT, json.dumps(body), "application/json", **paired.headers
            )
        assert response.status_code == 204, response.content

    return send


def ids(body: dict) -> list[int]:
    return [item["id"] for item in body["items"]]


def correct(page, review_and_publish, wrong: str, right: str, **changes):
    for name, value in changes.items():
        setattr(page, name, value)
    page.corrections = [("correction", {"wrong": wrong, "right": right})] + [
        (note.block_type, note.value, note.id) for note in page.corrections
    ]
    return review_and_publish(page)


# Recipients ------------------------------------------------------------------


def test_the_recipients_are_the_groups_whose_loops_had_the_item_however_it_got_there(
    screen_loop, screen_tree, make_outlet, make_placement, announcing
):
    page = screen_loop.video_page  # a playlist item on the province
    PlaylistItem.objects.create(
        group=screen_tree.other_site, kind="video", page=page, duration_seconds=9
    )
    now = timezone.now()
    EmergencyItem.objects.create(
        group=screen_tree.county,
        title="应急",
        page=page,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    EmergencyItem.objects.create(  # cancelled before it began: never shown
        group=screen_tree.city,
        title="取消的应急",
        page=page,
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
        cancelled_at=now,
    )
    outlet = make_outlet("big_screen", name="村文化广场屏", spec={})
    screen_tree.site.outlet = outlet
    screen_tree.site.save()
    placement = make_placement(page, outlet)
    Placement.objects.filter(pk=placement.pk).update(
        status=Placement.Status.DELIVERED, delivered_at=now - timedelta(minutes=1)
    )  # its playlist item deleted since: the group still had the item

    with announcing():
        withdraw(page, reason="画面有误")

    advisory = Advisory.objects.get()
    rows = AdvisoryRecipient.objects.filter(advisory=advisory, channel="big_screen")
    expected = [
        screen_tree.province,
        screen_tree.county,
        screen_tree.site,
        screen_tree.other_site,
    ]
    assert sorted(rows.values_list("reference", flat=True)) == sorted(
        f"group:{group.pk}" for group in expected
    )
    assert screen_tree.city.pk not in [
        int(reference.split(":")[1])
        for reference in rows.values_list("reference", flat=True)
    ]
    site_row = rows.get(reference=f"group:{screen_tree.site.pk}")
    assert site_row.outlet == outlet and "画面有误" in site_row.sent
    # The same groups whatever outlets announce() passes.
    adapter = BigScreenAdapter()
    for outlets in ([], [outlet], [make_outlet("big_screen", name="别处", spec={})]):
        refs = [r.reference for r in adapter.withdraw(advisory, outlets)]
        assert sorted(refs) == sorted(rows.values_list("reference", flat=True))


def test_a_group_that_never_had_the_item_gets_nothing(
    screen_loop, screen_tree, announcing
):
    with announcing():
        withdraw(screen_loop.article)  # a card on the city only
    rows = AdvisoryRecipient.objects.filter(channel="big_screen")
    assert list(rows.values_list("reference", flat=True)) == [
        f"group:{screen_tree.city.pk}"
    ]
    assert list(rows.values_list("state", "detail")) == [
        ("delivered", "轮播已更新；分组下没有已配对的大屏")
    ]


# The loop -------------------------------------------------------------------------


def test_a_withdrawn_item_leaves_the_loop_at_the_next_poll_with_a_new_etag(
    screen_loop, paired_screen, poll, announcing
):
    etag, body = poll(paired_screen)
    assert screen_loop.video.pk in ids(body)
    with announcing():
        withdraw(screen_loop.video_page, reason="数据过时")
    new_etag, body = poll(paired_screen, etag)  # asserts a 200, not a 304
    assert new_etag != etag
    assert ids(body) == [screen_loop.card.pk, screen_loop.image.pk]


def test_an_emergency_of_a_withdrawn_page_falls_back_to_its_own_card(
    screen_loop, screen_tree, paired_screen, poll, announcing
):
    now = timezone.now()
    emergency = EmergencyItem.objects.create(
        group=screen_tree.county,
        title="疫苗接种提示",
        page=screen_loop.video_page,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
    )
    etag, body = poll(paired_screen)
    video_url = body["emergency"]["url"]
    assert body["emergency"]["kind"] == "video"
    with announcing():
        withdraw(screen_loop.video_page)
    _etag, body = poll(paired_screen, etag)
    assert body["emergency"]["id"] == emergency.pk
    assert body["emergency"]["kind"] == "card" and body["emergency"]["url"] != video_url


def test_a_correction_puts_the_card_of_the_corrected_revision_in_the_loop(
    screen_loop, screen_tree, paired_screen, poll, review_and_publish, announcing
):
    article = screen_loop.article
    etag, body = poll(paired_screen)
    old_url = body["items"][1]["url"]
    assert f"/{article.live_revision_id}/" in old_url
    with announcing():
        correct(
            article, review_and_publish, "跑到室外", "就近躲避", title="地震时就近躲避"
        )
    article.refresh_from_db()
    new_etag, body = poll(paired_screen, etag)
    card = body["items"][1]
    assert new_etag != etag and card["id"] == screen_loop.card.pk
    assert card["url"] != old_url
    assert f"/{article.live_revision_id}/" in card["url"]
    assert card["title"] == "地震时就近躲避"
    [row] = AdvisoryRecipient.objects.filter(channel="big_screen")
    assert row.reference == f"group:{screen_tree.city.pk}"
    assert "就近躲避" in row.sent and row.state == "sent"
    assert row.detail == "0/1 台已确认"


# Confirmations --------------------------------------------------------------------


def test_each_screen_confirms_with_the_changed_loop_and_the_row_follows(
    screen_loop, screen_tree, paired_screen, pair_screen, poll, beat, announcing
):
    other = pair_screen(screen_tree.other_site, name="候车厅大屏")
    revoked = pair_screen(screen_tree.site, name="已吊销")
    revoked.screen.revoked_at = timezone.now()
    revoked.screen.save()
    old_loop, _body = poll(paired_screen)
    with announcing():
        withdraw(screen_loop.video_page)
    row = AdvisoryRecipient.objects.get(channel="big_screen")
    assert row.reference == f"group:{screen_tree.province.pk}"
    assert (row.state, row.detail) == ("sent", "0/2 台已确认")

    beat(paired_screen, old_loop)  # still playing the loop with the item
    beat(paired_screen, None)  # an older player names no loop
    assert not AdvisoryConfirmation.objects.exists()

    new_loop, _body = poll(paired_screen)
    beat(paired_screen, new_loop)
    [confirmation] = AdvisoryConfirmation.objects.all()
    assert confirmation.screen == paired_screen.screen
    assert confirmation.loop == new_loop
    row.refresh_from_db()
    assert (row.state, row.detail) == ("sent", "1/2 台已确认")

    other_loop, _body = poll(other)
    beat(other, f"W/{other_loop}")  # weakened by a compressing proxy
    row.refresh_from_db()
    assert (row.state, row.detail) == ("acknowledged", "2/2 台已确认")
    beat(paired_screen, new_loop)  # once per screen
    assert AdvisoryConfirmation.objects.count() == 2


def test_a_screen_outside_the_groups_confirms_nothing(
    screen_loop, screen_tree, paired_screen, pair_screen, poll, beat, announcing
):
    with announcing():
        withdraw(screen_loop.article)  # a card on the city
    outside = pair_screen(screen_tree.province, name="省馆大屏")  # above the city
    loop, body = poll(outside)
    beat(outside, loop)
    assert not AdvisoryConfirmation.objects.exists()
    row = AdvisoryRecipient.objects.get(channel="big_screen")
    assert (row.state, row.detail) == ("sent", "0/1 台已确认")


def test_revoking_the_last_unconfirmed_screen_settles_the_row(
    screen_loop,
    screen_tree,
    paired_screen,
    pair_screen,
    poll,
    beat,
    announcing,
    django_capture_on_commit_callbacks,
):
    from screens import pairing

    broken = pair_screen(screen_tree.other_site, name="坏了的大屏")
    with announcing():
        withdraw(screen_loop.article)
    loop, _body = poll(paired_screen)
    beat(paired_screen, loop)
    row = AdvisoryRecipient.objects.get(channel="big_screen")
    assert (row.state, row.detail) == ("sent", "1/2 台已确认")
    with django_capture_on_commit_callbacks(execute=True):
        pairing.revoke(broken.screen)
    row.refresh_from_db()
    assert (row.state, row.detail) == ("acknowledged", "1/1 台已确认")


@pytest.mark.parametrize("loop", ["x" * 81, 42, False])
def test_a_heartbeat_with_a_malformed_loop_is_refused(client, paired_screen, loop):
    body = json.dumps({"version": "v1", "loop": loop})
    response = client.post(HEARTBEAT, body, "application/json", **paired_screen.headers)
    assert response.status_code == 400 and "loop" in response.json()["error"]
