"""开机率/使用率 on generated heartbeats and plays: the formulas, opening hours
(weekdays only, past midnight, closed days), aggregation to groups and tiers,
offline highlighting, plays per item and campaign, constant queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from screens.minutes import Minutes, hours_key, opening_minutes, period_of
from screens.models import PlaylistItem, Screen
from screens.report_plays import campaign_lines, item_lines
from screens.report_views import percent
from screens.reports import screen_report
from tests.screens.telemetry_data import (
    EVERY_DAY,
    FRIDAY_NIGHT,
    MONDAY,
    SATURDAY,
    WEEKDAYS,
    at,
    beat,
    play,
)


def only_screen(report):
    (line,) = report.screens
    return line.minutes


# The formulas ---------------------------------------------------------------


def test_uptime_counts_heartbeat_minutes_inside_opening_hours(make_screen):
    screen = make_screen()
    beat(screen, at(MONDAY, 8), 540)  # 08:00–16:59
    beat(screen, at(MONDAY, 20), 60)  # after closing: not counted
    play(screen, at(MONDAY, 9), 270 * 60)
    minutes = only_screen(screen_report(period_of("day", MONDAY)))
    assert minutes == Minutes(opening=720, on=540, played=270)
    assert minutes.uptime == 0.75
    assert minutes.usage == 0.5
    assert (percent(minutes.uptime), percent(minutes.usage)) == ("75.0%", "50.0%")


def test_plays_outside_opening_hours_do_not_count_towards_usage(make_screen):
    screen = make_screen()
    beat(screen, at(MONDAY, 8), 60)
    play(screen, at(MONDAY, 8, 10), 30 * 60)
    play(screen, at(MONDAY, 21), 600)  # after closing
    play(screen, at(MONDAY - timedelta(days=1), 9), 600)  # another day
    assert only_screen(screen_report(period_of("day", MONDAY))).usage == 0.5


def test_usage_never_exceeds_the_minutes_on(make_screen):
    screen = make_screen()
    beat(screen, at(MONDAY, 10), 30)
    play(screen, at(MONDAY, 10), 45 * 60)
    play(screen, at(MONDAY, 10, 5), 45 * 60)  # overlapping reports
    minutes = only_screen(screen_report(period_of("day", MONDAY)))
    assert (minutes.on, minutes.played, minutes.usage) == (30, 30, 1.0)


def test_weekday_opening_hours_over_a_week(make_screen):
    screen = make_screen(hours=WEEKDAYS)
    for offset in range(5):  # four hours a day from Monday to Friday
        beat(screen, at(MONDAY + timedelta(days=offset), 9), 240)
    beat(screen, at(SATURDAY, 10), 120)  # closed on Saturdays: not counted
    report = screen_report(period_of("week", MONDAY + timedelta(days=2)))
    assert report.period.first == MONDAY
    assert only_screen(report) == Minutes(opening=5 * 480, on=5 * 240)
    saturday = report.days[5]
    assert (saturday.day, saturday.minutes) == (SATURDAY, Minutes())
    assert saturday.minutes.uptime is None
    assert percent(saturday.minutes.uptime) == "—"


def test_a_day_without_opening_hours_has_no_rate(make_screen):
    screen = make_screen(hours=WEEKDAYS)
    beat(screen, at(SATURDAY, 10), 120)
    minutes = only_screen(screen_report(period_of("day", SATURDAY)))
    assert minutes == Minutes()
    assert (minutes.uptime, minutes.usage) == (None, None)


def test_opening_hours_past_midnight_belong_to_the_day_they_start(make_screen):
    screen = make_screen(hours=FRIDAY_NIGHT)
    friday = MONDAY + timedelta(days=4)
    beat(screen, at(friday, 23), 60)
    beat(screen, at(SATURDAY, 1), 60)
    beat(screen, at(SATURDAY, 2), 60)  # after 02:00: closed
    report = screen_report(period_of("week", MONDAY))
    assert only_screen(report) == Minutes(opening=240, on=120)
    assert [line.minutes.on for line in report.days[4:6]] == [60, 60]


def test_opening_minutes_of_a_day():
    assert opening_minutes(hours_key(EVERY_DAY), 1) == 720
    assert opening_minutes(hours_key(WEEKDAYS), 6) == 0
    assert opening_minutes(hours_key(FRIDAY_NIGHT), 6) == 120
    assert opening_minutes(hours_key([]), 3) == 24 * 60  # no hours: all day
    assert opening_minutes(hours_key(EVERY_DAY), 1, since=600, until=660) == 60


def test_periods_are_local_days_weeks_and_months():
    month = period_of("month", date(2024, 2, 10))
    assert (month.first, month.last, len(month.days)) == (
        date(2024, 2, 1),
        date(2024, 2, 29),
        29,
    )
    week = period_of("week", date(2025, 3, 9))  # a Sunday
    assert (week.first, week.last) == (MONDAY, date(2025, 3, 9))
    assert period_of("day", MONDAY).start == at(MONDAY, 0)


def test_a_heartbeat_just_before_local_midnight_counts_on_that_local_day(
    make_screen,
):
    screen = make_screen(hours=[])  # open round the clock
    beat(screen, at(MONDAY, 23, 59), 2)  # 23:59 Monday, 00:00 Tuesday
    report = screen_report(period_of("week", MONDAY))
    assert [line.minutes.on for line in report.days[:2]] == [1, 1]


# In service -----------------------------------------------------------------


def test_a_screen_counts_from_the_minute_it_was_paired(make_screen):
    screen = make_screen(paired_at=at(MONDAY + timedelta(days=1), 14))
    beat(screen, at(MONDAY + timedelta(days=1), 14), 360)
    report = screen_report(period_of("week", MONDAY))
    assert [line.minutes.opening for line in report.days[:3]] == [0, 360, 720]
    assert report.days[1].minutes.uptime == 1.0


def test_a_revoked_screen_stops_counting(make_screen):
    make_screen(revoked_at=at(MONDAY, 12))
    report = screen_report(period_of("week", MONDAY))
    assert [line.minutes.opening for line in report.days[:2]] == [4 * 60 + 1, 0]


def test_today_counts_only_up_to_now(make_screen):
    screen = make_screen(hours=[])
    now = at(MONDAY, 10, 30)
    beat(screen, at(MONDAY, 10), 31)
    report = screen_report(period_of("day", MONDAY), now=now)
    assert only_screen(report) == Minutes(opening=631, on=31)


# Groups and tiers -----------------------------------------------------------


def test_groups_and_tiers_add_up_numerators_and_denominators(make_screen, screen_tree):
    square = make_screen(screen_tree.site, "广场屏")  # 720 opening minutes
    station = make_screen(screen_tree.other_site, "车站屏", hours=[])  # 1440
    beat(square, at(MONDAY, 8), 720)
    beat(station, at(MONDAY, 0), 360)
    play(square, at(MONDAY, 9), 360 * 60)
    report = screen_report(period_of("day", MONDAY))
    groups = {line.group.name: line for line in report.groups}
    county = groups["农安县"]
    assert county.minutes == Minutes(opening=2160, on=1080, played=360)
    assert county.screens == 2
    assert county.minutes.uptime == 0.5
    assert groups["村文化广场"].minutes.uptime == 1.0
    assert groups["火车站候车厅"].minutes.uptime == 0.25
    tiers = {line.label: line for line in report.tiers}
    assert tiers["省"].minutes == county.minutes
    assert tiers["站点"].groups == 2
    assert tiers["站点"].lowest.group == screen_tree.other_site


def test_drilling_down_keeps_only_the_screens_under_the_group(make_screen, screen_tree):
    make_screen(screen_tree.site, "广场屏")
    make_screen(screen_tree.other_site, "车站屏")
    report = screen_report(period_of("day", MONDAY), scope=screen_tree.other_site)
    assert [line.screen.name for line in report.screens] == ["车站屏"]
    assert [group.name for group in report.lineage] == [
        "吉林省",
        "长春市",
        "农安县",
        "火车站候车厅",
    ]
    assert [line.screen.name for line in report.direct_screens] == ["车站屏"]
    county = screen_report(period_of("day", MONDAY), scope=screen_tree.county)
    assert [line.group.name for line in county.children] == [
        "村文化广场",
        "火车站候车厅",
    ]


# Offline --------------------------------------------------------------------


def test_screens_silent_for_more_than_ten_minutes_are_offline(make_screen):
    now = timezone.now()
    make_screen(name="刚刚在线", last_seen_at=now - timedelta(minutes=9))
    make_screen(name="掉线", last_seen_at=now - timedelta(minutes=11))
    make_screen(name="从未上线", last_seen_at=None)
    make_screen(name="已吊销", last_seen_at=None, revoked_at=now)
    report = screen_report(period_of("day", timezone.localdate()), now=now)
    assert sorted(line.screen.name for line in report.offline) == ["从未上线", "掉线"]
    assert report.online == 1
    site = next(line for line in report.groups if line.group.tier == 4)
    assert site.offline == 2


# Plays per item and campaign --------------------------------------------------


@pytest.fixture
def sponsored(make_screen, screen_tree, make_article, campaign, screen_image):
    """Two screens; a card of the 全国科普日 campaign and a poster."""
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
    square = make_screen(screen_tree.site, "广场屏")
    station = make_screen(screen_tree.other_site, "车站屏")
    for minute in range(3):
        play(square, at(MONDAY, 9, minute), 20, card)
    play(station, at(MONDAY, 22), 20, card)  # after closing: still a play
    play(square, at(MONDAY, 9, 5), 10, poster)
    play(square, at(MONDAY + timedelta(days=1), 9), 20, card)  # next day
    return card, poster


def test_plays_per_item_and_per_campaign(sponsored, screen_tree):
    period = period_of("day", MONDAY)
    items = item_lines(period, Screen.objects.all())
    assert [(i.label, i.kind, i.plays, i.seconds, i.screens) for i in items] == [
        ("秋季防火", "文章卡片", 4, 80.0, 2),
        ("防灾海报", "图片", 1, 10.0, 1),
    ]
    assert items[0].owner == "省·吉林省"
    (line,) = campaign_lines(period, Screen.objects.all())
    assert (line.label, line.owner, line.plays, line.screens) == (
        "全国科普日",
        "2026-09-15～2026-09-21",
        4,
        2,
    )
    only_station = Screen.objects.filter(group=screen_tree.other_site)
    assert [i.plays for i in item_lines(period, only_station)] == [1]


# Queries --------------------------------------------------------------------


def report_queries(period) -> int:
    with CaptureQueriesContext(connection) as queries:
        screen_report(period)
    return len(queries)


def test_report_queries_do_not_grow_with_screens_or_groups(
    make_screen, make_screen_group, screen_tree
):
    period = period_of("week", MONDAY)
    for n in range(2):
        beat(make_screen(name=f"屏{n}"), at(MONDAY, 9), 5)
    few = report_queries(period)
    for n in range(30):
        group = make_screen_group(f"站点{n}", 4, screen_tree.county)
        hours = WEEKDAYS if n % 3 else EVERY_DAY  # several distinct hours
        screen = make_screen(group, f"站点屏{n}", hours=hours)
        beat(screen, at(MONDAY, 9), 5)
        play(screen, at(MONDAY, 9), 60)
    assert report_queries(period) == few
