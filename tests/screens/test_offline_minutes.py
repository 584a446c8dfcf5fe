"""Minutes a screen was on while its network was cut: heartbeats queued by
the player arrive later as a batch, each screen-minute is stored once with
when it first arrived, a minute covered only by a play counts as on, the
report counts the minutes reported late, and the roll-ups keep that count."""

import json
import uuid
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from screens import minutes as minutes_module
from screens.minutes import Period
from screens.models import (
    EmergencyConfirmation,
    EmergencyItem,
    Heartbeat,
    PlayRecord,
    RolledUpDay,
    Screen,
    ScreenDayRollup,
)
from screens.reports import screen_report
from screens.rollups import roll_up_and_prune
from screens.telemetry import MAX_BEATS, Beat, store_heartbeats
from tests.screens.telemetry_data import BEIJING, at

HEARTBEAT = "/api/screens/heartbeat/"
PLAYS = "/api/screens/plays/"


def post(client, url, body, screen):
    return client.post(
        url, json.dumps(body), content_type="application/json", **screen.headers
    )


def this_minute() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


def queued(moment: datetime, **fields) -> dict:
    """A beat as the player queues it: with the time it was taken."""
    return {"at": moment.isoformat(), "version": "v2", **fields}


def stored_minutes(screen) -> list[datetime]:
    return list(
        Heartbeat.objects.filter(screen=screen.screen)
        .order_by("minute")
        .values_list("minute", flat=True)
    )


@pytest.fixture
def open_all_day(paired_screen):
    """The paired screen open round the clock and in service since New Year
    2025, so that every minute of the last hours counts."""
    Screen.objects.filter(pk=paired_screen.screen.pk).update(
        opening_hours=[], paired_at=at(date(2025, 1, 1), 0)
    )
    return paired_screen


def last_hours() -> Period:
    """The local days of the last two hours (one, or two around midnight)."""
    now = timezone.localtime()
    return Period("day", (now - timedelta(hours=2)).date(), now.date())


def report_minutes(now=None):
    report = screen_report(last_hours(), now=now)
    return report.total


# The batch ----------------------------------------------------------------------


def test_a_batch_of_queued_beats_is_stored_a_minute_each_with_its_arrival(
    client, paired_screen, screen_loop
):
    start = this_minute() - timedelta(minutes=12)
    beats = [
        queued(start, playing=screen_loop.video.pk),
        queued(start + timedelta(seconds=30), playing=screen_loop.card.pk),
        queued(start + timedelta(minutes=1), playing=screen_loop.card.pk),
    ]
    before = timezone.now()
    assert post(client, HEARTBEAT, {"beats": beats}, paired_screen).status_code == 204

    rows = list(Heartbeat.objects.order_by("minute"))
    assert [row.minute for row in rows] == [start, start + timedelta(minutes=1)]
    # The newest beat of a minute says what played.
    assert [row.playing_item for row in rows] == [screen_loop.card.pk] * 2
    assert all(before <= row.received_at <= timezone.now() for row in rows)
    screen = Screen.objects.get(pk=paired_screen.screen.pk)
    assert screen.player_version == "v2" and screen.last_seen_at >= before


def test_a_batch_sent_again_changes_nothing_and_keeps_the_first_arrival(
    client, paired_screen
):
    start = this_minute() - timedelta(minutes=30)
    beats = [queued(start + timedelta(seconds=20 * n)) for n in range(9)]
    post(client, HEARTBEAT, {"beats": beats}, paired_screen)
    first = list(Heartbeat.objects.order_by("minute").values())
    assert len(first) == 3

    post(client, HEARTBEAT, {"beats": beats + beats[:4]}, paired_screen)
    assert list(Heartbeat.objects.order_by("minute").values()) == first


def test_the_single_body_of_players_in_the_field_is_stored_under_this_minute(
    client, paired_screen
):
    before = this_minute()
    body = {"version": "v1", "storage_free_bytes": 5_000}
    assert post(client, HEARTBEAT, body, paired_screen).status_code == 204
    row = Heartbeat.objects.get()
    assert before <= row.minute <= this_minute()
    assert row.received_at - row.minute < timedelta(minutes=1)
    assert row.storage_free_bytes == 5_000


def test_a_beat_without_errors_keeps_the_errors_reported_in_its_minute(
    client, paired_screen, screen_loop
):
    minute = this_minute() - timedelta(minutes=5)
    broken = {"item": screen_loop.video.pk, "message": "解码失败"}
    stalled = {"item": None, "message": "播放停滞"}
    batch = [
        queued(minute, errors=[broken]),
        queued(minute + timedelta(seconds=10), errors=[stalled]),
    ]
    post(client, HEARTBEAT, {"beats": batch}, paired_screen)
    later = queued(minute + timedelta(seconds=40), playing=screen_loop.card.pk)
    post(client, HEARTBEAT, {"beats": [later]}, paired_screen)
    row = Heartbeat.objects.get()
    assert row.errors == [broken, stalled]
    assert row.playing_item == screen_loop.card.pk


def test_a_queued_beat_naming_an_emergency_confirms_it_at_its_own_time(
    client, paired_screen, screen_tree
):
    now = timezone.now()
    emergency = EmergencyItem.objects.create(
        group=screen_tree.county,
        title="暴雨预警",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    shown = this_minute() - timedelta(minutes=20)
    beat = queued(shown + timedelta(seconds=5), emergency=emergency.pk)
    post(client, HEARTBEAT, {"beats": [beat]}, paired_screen)
    confirmation = EmergencyConfirmation.objects.get()
    assert confirmation.confirmed_at == shown + timedelta(seconds=5)


# Bad input ------------------------------------------------------------------------


def beats_body(**fields) -> dict:
    return {"beats": [queued(this_minute() - timedelta(minutes=3), **fields)]}


def off_by(delta: timedelta):
    """A batch whose beat is `delta` off the clock when the test runs (not
    when the module is collected, which may be minutes earlier)."""
    return lambda: {"beats": [queued(timezone.localtime() + delta)]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"beats": []}, "beats 应为 1 到 500 项的列表"),
        ({"beats": "many"}, "beats 应为 1 到 500 项的列表"),
        ({"beats": [{"version": "v"}]}, "beats 的每一项 缺少字段：at"),
        ({"beats": [{"at": "2026-01-01T08:00:00+08:00"}]}, "缺少字段：version"),
        ({**beats_body(), "plays": []}, "请求体 含有未知字段：plays"),
        (beats_body(screen=3), "beats 的每一项 含有未知字段：screen"),
        (beats_body(playing="12"), "playing 应为 1 到"),
        (off_by(timedelta(minutes=10)), "at 应在"),  # ahead of the server
        (off_by(-timedelta(days=91)), "at 应在"),  # before the retention window
        (off_by(timedelta(days=3650)), "at 应在"),  # a clock ten years fast
        ({"beats": [{"at": "2026-06-01T10:00:00", "version": "v"}]}, "at 应带时区"),
        ({"beats": [{"at": "2026-02-30T10:00:00+08:00", "version": "v"}]}, "ISO"),
        (beats_body(emergency=999_999), "不属于本屏的应急项"),
    ],
)
def test_a_bad_batch_gets_400_naming_the_problem_and_nothing_is_stored(
    client, paired_screen, body, message
):
    body = body() if callable(body) else body
    response = post(client, HEARTBEAT, body, paired_screen)
    assert response.status_code == 400
    assert message in response.json()["error"], response.json()["error"]
    assert not Heartbeat.objects.exists()
    assert Screen.objects.get(pk=paired_screen.screen.pk).last_seen_at is None


def test_one_bad_beat_refuses_the_whole_batch(client, paired_screen):
    good = beats_body()["beats"]
    bad = off_by(timedelta(hours=2))()["beats"]
    response = post(client, HEARTBEAT, {"beats": good + bad}, paired_screen)
    assert response.status_code == 400 and "at 应在" in response.json()["error"]
    assert not Heartbeat.objects.exists()


def test_more_beats_than_a_batch_holds_are_refused(client, paired_screen):
    beat = queued(this_minute() - timedelta(minutes=1))
    response = post(
        client, HEARTBEAT, {"beats": [beat] * (MAX_BEATS + 1)}, paired_screen
    )
    assert response.status_code == 400
    assert response.json()["error"] == "beats 应为 1 到 500 项的列表"
    assert not Heartbeat.objects.exists()


# Minutes covered by plays ------------------------------------------------------------


def played(item, start: datetime, seconds: float) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "item": item.pk,
        "started_at": timezone.localtime(start).isoformat(),
        "seconds": seconds,
    }


def test_a_minute_covered_only_by_a_play_counts_as_on(
    client, open_all_day, screen_loop
):
    start = this_minute() - timedelta(minutes=40)
    beat = {"beats": [queued(start)]}
    post(client, HEARTBEAT, beat, open_all_day)
    # 150 s from half past: its own minute and the two after it.
    plays = [played(screen_loop.video, start + timedelta(seconds=30), 150)]
    answer = post(client, PLAYS, {"plays": plays}, open_all_day)
    assert answer.json() == {"stored": 1, "duplicates": 0}
    assert stored_minutes(open_all_day) == [
        start + timedelta(minutes=n) for n in range(3)
    ]
    # The heartbeat's minute keeps its own row and first arrival.
    heartbeat_row = Heartbeat.objects.get(minute=start)
    assert heartbeat_row.playing_item is None
    assert report_minutes().on == 3

    post(client, PLAYS, {"plays": plays}, open_all_day)  # sent again
    assert Heartbeat.objects.count() == 3
    assert Heartbeat.objects.get(minute=start).received_at == (
        heartbeat_row.received_at
    )


def test_a_play_ending_on_a_minute_boundary_does_not_cover_the_next(
    client, open_all_day, screen_loop
):
    start = this_minute() - timedelta(minutes=50)
    plays = [played(screen_loop.card, start, 120), played(screen_loop.card, start, 0)]
    post(client, PLAYS, {"plays": plays}, open_all_day)
    assert stored_minutes(open_all_day) == [start, start + timedelta(minutes=1)]
    assert PlayRecord.objects.count() == 2


# Late minutes ----------------------------------------------------------------------


def test_minutes_sent_after_a_network_cut_count_as_on_and_as_late(
    client, open_all_day, monkeypatch
):
    cut = this_minute() - timedelta(minutes=30)
    offline = [queued(cut + timedelta(seconds=20 * n)) for n in range(30)]  # 10 min
    post(client, HEARTBEAT, {"beats": offline}, open_all_day)
    post(client, HEARTBEAT, {"version": "v2"}, open_all_day)  # live, this minute
    total = report_minutes()
    assert (total.on, total.late) == (11, 10)

    # Reported 30 minutes after they happened: late only past the threshold.
    monkeypatch.setattr(minutes_module, "LATE_AFTER", timedelta(minutes=40))
    assert report_minutes().late == 0


def test_rows_written_without_an_arrival_count_as_on_time(open_all_day):
    Heartbeat.objects.create(
        screen=open_all_day.screen, minute=this_minute() - timedelta(minutes=30)
    )
    total = report_minutes()
    assert (total.on, total.late) == (1, 0)


# Roll-ups ------------------------------------------------------------------------

DAY = date(2025, 3, 5)
AFTER_DAY = at(date(2025, 3, 7), 12)


@pytest.fixture
def late_morning(open_all_day, settings):
    """Ten minutes on 5 March 2025 from 09:00, the first four sent half an
    hour late; the raw rows of 2025 still kept."""
    settings.SCREENS_RAW_RETENTION_DAYS = 10_000
    screen = Screen.objects.get(pk=open_all_day.screen.pk)
    Heartbeat.objects.bulk_create(
        Heartbeat(
            screen=screen,
            minute=at(DAY, 9, n),
            received_at=at(DAY, 9, n) + timedelta(minutes=30 if n < 4 else 0),
        )
        for n in range(10)
    )
    return screen


def day_total():
    return screen_report(Period("day", DAY, DAY), now=AFTER_DAY).total


def roll_up_everything() -> None:
    while roll_up_and_prune(AFTER_DAY).rolled_up:
        pass


def test_roll_ups_keep_the_late_minutes(late_morning):
    from_raw = day_total()
    assert (from_raw.on, from_raw.late) == (10, 4)
    roll_up_everything()
    assert ScreenDayRollup.objects.get(day=DAY).late == 4
    Heartbeat.objects.all().delete()  # the report reads the roll-up alone
    assert day_total() == from_raw


def test_beats_queued_on_a_rolled_up_day_roll_it_up_again(late_morning):
    roll_up_everything()
    taken = datetime(2025, 3, 5, 10, 0, 15, tzinfo=BEIJING)
    beats = [
        Beat("v2", None, None, None, [], at=taken + timedelta(minutes=n))
        for n in range(3)
    ]
    store_heartbeats(late_morning, beats)
    assert RolledUpDay.objects.get(day=DAY).stale
    assert (day_total().on, day_total().late) == (13, 7)  # raw rows meanwhile
    assert roll_up_and_prune(AFTER_DAY).rolled_up == [DAY]
    rolled = ScreenDayRollup.objects.get(day=DAY)
    assert (rolled.inside, rolled.late) == (13, 7)
