"""Daily roll-ups of heartbeats and plays: the reports give the same figures
from roll-ups as from the raw rows, today still reads the raw rows, late plays
roll a day up again, raw rows are deleted after the retention window in
batches, and running the job again changes nothing."""

import threading
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection

from cms.scheduling import tick
from screens import rollups
from screens.minutes import period_of
from screens.models import (
    EmergencyItem,
    Heartbeat,
    PlayDayRollup,
    PlaylistItem,
    PlayRecord,
    RolledUpDay,
    ScreenDayRollup,
)
from screens.report_plays import campaign_lines, item_lines
from screens.reports import scoped_screens, screen_report
from screens.rollups import roll_up_and_prune, roll_up_day
from screens.telemetry import Play, store_plays
from tests.screens.telemetry_data import (
    BEIJING,
    FRIDAY_NIGHT,
    WEEKDAYS,
    at,
    beat,
    play,
)

MARCH = date(2025, 3, 1)
NOW = at(date(2025, 4, 2), 10)  # March is over


def roll_up_everything(now: datetime) -> int:
    """Run the job until nothing is due; the number of runs."""
    runs = 1
    while roll_up_and_prune(now).rolled_up:
        runs += 1
    return runs


def figures(period, scope=None, now=NOW) -> dict:
    """Every figure the dashboard and its exports show."""
    report = screen_report(period, scope, now)
    screens = scoped_screens(scope)
    return {
        "screens": [(line.screen.pk, line.minutes) for line in report.screens],
        "groups": [(line.group.pk, line.minutes) for line in report.groups],
        "tiers": [(line.label, line.minutes) for line in report.tiers],
        "days": [(line.day, line.minutes) for line in report.days],
        "items": item_lines(period, screens),
        "campaigns": campaign_lines(period, screens),
    }


@pytest.fixture
def march(make_screen, screen_tree, make_article, campaign, screen_image):
    """Three screens with different opening hours (one revoked, one paired
    mid-month), heartbeats and plays of items, a campaign and an emergency on
    many days of March 2025, a Friday night past midnight included."""
    card = PlaylistItem.objects.create(
        group=screen_tree.province,
        kind="card",
        page=make_article(title="秋季防火"),
        campaign=campaign,
        duration_seconds=20,
    )
    poster = PlaylistItem.objects.create(
        group=screen_tree.site, kind="image", image=screen_image, title="防灾海报"
    )
    alert = EmergencyItem.objects.create(
        group=screen_tree.province,
        title="暴雨预警",
        starts_at=at(MARCH, 0),
        ends_at=at(MARCH + timedelta(days=40), 0),
    )
    square = make_screen(screen_tree.site, "广场屏")
    station = make_screen(
        screen_tree.other_site,
        "车站屏",
        hours=WEEKDAYS,
        revoked_at=at(MARCH + timedelta(days=20), 12),
    )
    bar = make_screen(
        screen_tree.site,
        "夜市屏",
        hours=FRIDAY_NIGHT,
        paired_at=at(MARCH + timedelta(days=9), 18, 30),
    )
    for n in range(0, 31, 2):
        day = MARCH + timedelta(days=n)
        beat(square, at(day, 7, 50), 200 + n)
        beat(station, at(day, 8, 30), 300 - n)
        play(square, at(day, 9, n), 20.5, card)
        play(square, at(day, 21), 15, poster)  # after closing: still a play
        play(station, at(day, 10), 20, card)
        play(station, at(day, 11), 30, emergency=alert)
    friday = date(2025, 3, 14)
    beat(bar, at(friday, 21, 30), 240)  # 21:30–01:29, past midnight
    play(bar, at(friday, 23), 600, poster)
    play(bar, at(friday + timedelta(days=1), 0, 30), 300, card)
    return square, station, bar


def periods() -> list:
    return [
        period_of("month", MARCH),
        period_of("week", date(2025, 3, 12)),
        period_of("day", date(2025, 3, 14)),
        period_of("day", date(2025, 3, 15)),
    ]


def test_reports_give_the_same_figures_from_roll_ups_as_from_raw_rows(
    march, screen_tree
):
    scopes = [None, screen_tree.site, screen_tree.other_site]
    from_raw = [figures(p, scope) for p in periods() for scope in scopes]
    assert from_raw[0]["items"] and from_raw[0]["campaigns"]

    roll_up_everything(NOW)
    assert RolledUpDay.objects.filter(day__gte=MARCH).count() == 32  # to 1 April
    # Reports now read the roll-ups: without raw rows they say the same.
    Heartbeat.objects.all().delete()
    PlayRecord.objects.all().delete()
    assert [figures(p, scope) for p in periods() for scope in scopes] == from_raw


def test_a_rolled_up_day_keeps_its_opening_hours(march):
    square, *_ = march
    day = period_of("day", MARCH)
    before = figures(day)["screens"]
    roll_up_everything(NOW)
    square.opening_hours = WEEKDAYS  # 1 March is a Saturday: closed from now on
    square.save()
    assert figures(day)["screens"] == before


def test_today_is_read_from_the_raw_rows_beside_rolled_up_days(march):
    square, *_ = march
    now = at(date(2025, 3, 31), 18)
    roll_up_everything(now)
    assert RolledUpDay.objects.filter(day=date(2025, 3, 30)).exists()
    assert not RolledUpDay.objects.filter(day=date(2025, 3, 31)).exists()
    week = period_of("week", date(2025, 3, 31))
    before = figures(week, now=now)

    card = PlaylistItem.objects.get(kind="card")
    beat(square, at(date(2025, 3, 31), 14), 5)
    play(square, at(date(2025, 3, 31), 14, 1), 20, card)
    after = figures(week, now=now)
    today = [minutes for day, minutes in after["days"] if day == date(2025, 3, 31)]
    assert today[0].on > dict(before["days"])[date(2025, 3, 31)].on
    (card_line,) = [line for line in after["items"] if line.label == "秋季防火"]
    (card_before,) = [line for line in before["items"] if line.label == "秋季防火"]
    # The square played the card on rolled-up days and today: one screen.
    assert card_line.plays == card_before.plays + 1
    assert card_line.screens == card_before.screens == 2


def rollup_rows() -> list:
    return [
        list(RolledUpDay.objects.order_by("day").values()),
        list(ScreenDayRollup.objects.order_by("pk").values()),
        list(PlayDayRollup.objects.order_by("pk").values()),
    ]


def test_running_the_job_again_changes_nothing(march):
    roll_up_everything(NOW)
    before = rollup_rows()
    raw = (Heartbeat.objects.count(), PlayRecord.objects.count())
    assert roll_up_and_prune(NOW).rolled_up == []
    assert roll_up_and_prune(NOW + timedelta(minutes=1)).rolled_up == []
    assert rollup_rows() == before
    assert (Heartbeat.objects.count(), PlayRecord.objects.count()) == raw


def test_a_day_rolled_up_by_another_worker_is_left_alone(march):
    day = MARCH
    assert roll_up_day(day, NOW)
    before = rollup_rows()
    assert not roll_up_day(day, NOW + timedelta(hours=1))
    assert rollup_rows() == before


def test_the_scheduler_tick_rolls_up_the_finished_days(march):
    tick("worker-1", NOW)
    assert RolledUpDay.objects.filter(day=MARCH).exists()


def test_a_day_is_rolled_up_a_quarter_of_an_hour_after_it_ends(make_screen):
    beat(make_screen(), at(date(2025, 3, 30), 9), 10)
    roll_up_everything(at(date(2025, 3, 31), 0, 10))
    assert not RolledUpDay.objects.filter(day=date(2025, 3, 30)).exists()
    roll_up_everything(at(date(2025, 3, 31), 0, 20))
    assert RolledUpDay.objects.filter(day=date(2025, 3, 30)).exists()


# Late plays -------------------------------------------------------------------------


def test_plays_that_arrive_after_the_roll_up_roll_the_day_up_again(march, settings):
    settings.SCREENS_RAW_RETENTION_DAYS = 1000  # March 2025 is still kept today
    square, *_ = march
    now = at(date(2025, 3, 31), 12)
    roll_up_everything(now)
    day = date(2025, 3, 5)
    before = figures(period_of("day", day), now=now)["items"]

    card = PlaylistItem.objects.get(kind="card")
    late = Play(uuid.uuid4(), card, None, at(day, 10), 20.5)
    store_plays(square, [late])
    assert RolledUpDay.objects.get(day=day).stale
    # Until it is rolled up again the day reads its raw rows.
    stale = figures(period_of("day", day), now=now)["items"]
    assert stale[0].plays == before[0].plays + 1

    assert roll_up_and_prune(now).rolled_up == [day]
    assert not RolledUpDay.objects.get(day=day).stale
    PlayRecord.objects.all().delete()
    assert figures(period_of("day", day), now=now)["items"] == stale


# Retention --------------------------------------------------------------------------


def local_days(model, field: str) -> set[date]:
    return {
        moment.astimezone(BEIJING).date()
        for moment in model.objects.values_list(field, flat=True)
    }


def test_raw_rows_older_than_the_window_are_deleted_and_roll_ups_kept(march, settings):
    settings.SCREENS_RAW_RETENTION_DAYS = 10
    month = period_of("month", MARCH)
    before = figures(month)
    roll_up_everything(NOW)
    kept_from = NOW.date() - timedelta(days=10)  # 23 March
    assert min(local_days(Heartbeat, "minute")) >= kept_from
    assert min(local_days(PlayRecord, "started_at")) >= kept_from
    assert kept_from in local_days(Heartbeat, "minute")
    assert kept_from in local_days(PlayRecord, "started_at")
    assert ScreenDayRollup.objects.filter(day=MARCH).exists()
    assert figures(month) == before


def raw_per_day() -> dict[date, int]:
    counts: dict[date, int] = {}
    for moment in Heartbeat.objects.values_list("minute", flat=True):
        day = moment.astimezone(BEIJING).date()
        counts[day] = counts.get(day, 0) + 1
    return counts


def test_raw_rows_are_deleted_in_batches_and_only_once_rolled_up(
    march, settings, monkeypatch
):
    settings.SCREENS_RAW_RETENTION_DAYS = 10
    monkeypatch.setattr(rollups, "BATCH", 50)
    monkeypatch.setattr(rollups, "MAX_BATCHES", 2)
    runs_that_deleted = 0
    while True:
        before = raw_per_day()
        result = roll_up_and_prune(NOW)
        rolled = set(RolledUpDay.objects.values_list("day", flat=True))
        after = raw_per_day()
        assert {d: n for d, n in before.items() if d not in rolled} == {
            d: n for d, n in after.items() if d not in rolled
        }
        assert result.deleted <= 2 * 2 * 50  # two tables, two batches of 50
        runs_that_deleted += bool(result.deleted)
        if not result.rolled_up and not result.deleted:
            break
    assert runs_that_deleted > 10
    assert min(raw_per_day()) == NOW.date() - timedelta(days=10)


def test_retention_waits_until_every_older_day_is_rolled_up(march, settings):
    settings.SCREENS_RAW_RETENTION_DAYS = 10
    raw = Heartbeat.objects.count()
    first = roll_up_and_prune(NOW)
    assert first.rolled_up == [MARCH, MARCH + timedelta(days=1)]
    assert first.deleted == 0
    assert Heartbeat.objects.count() == raw


def test_the_first_run_on_an_empty_database_marks_yesterday_only(db):
    now = datetime.combine(date(2025, 3, 31), time(12), tzinfo=BEIJING)
    assert roll_up_and_prune(now).rolled_up == [date(2025, 3, 30)]
    assert roll_up_and_prune(now).rolled_up == []
    assert roll_up_and_prune(now + timedelta(days=1)).rolled_up == [date(2025, 3, 31)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_rolling_up_the_same_day_write_it_once(make_screen):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time")
    screen = make_screen()
    beat(screen, at(MARCH, 9), 30)
    play(screen, at(MARCH, 9), 20)
    start = threading.Barrier(2)
    results = []

    def worker() -> None:
        start.wait()
        try:
            results.append(roll_up_day(MARCH, NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert ScreenDayRollup.objects.filter(day=MARCH).count() == 1
    assert PlayDayRollup.objects.filter(day=MARCH).count() == 1


def test_plays_older_than_the_window_leave_the_roll_up_as_it_is(march, settings):
    settings.SCREENS_RAW_RETENTION_DAYS = 10
    square, *_ = march
    roll_up_everything(NOW)
    day = MARCH  # its raw rows are gone
    before = figures(period_of("day", day))
    card = PlaylistItem.objects.get(kind="card")
    store_plays(square, [Play(uuid.uuid4(), card, None, at(day, 10), 20.5)])
    assert not RolledUpDay.objects.get(day=day).stale
    assert figures(period_of("day", day)) == before
