"""Settled days added up in the database (screens.minutes.settled_total)
give what settling each day and adding the minutes gives."""

from datetime import date, timedelta

import pytest

from screens.minutes import Minutes, settled, settled_total, total
from screens.models import ScreenDayRollup

pytestmark = pytest.mark.django_db

DAYS = [
    # opening, beats, inside, played seconds, late
    (600, 700, 650, 40_000.0, 3),  # more beats than opening minutes
    (600, 300, 300, 30_000.0, 400),  # played longer than on; more late than on
    (0, 10, 0, 0.0, 0),  # closed
    (480, 480, 470, 12_345.5, 0),
]


def test_the_database_sum_settles_each_day_as_settled_does(make_screen):
    screen = make_screen()
    for number, (opening, beats, inside, seconds, late) in enumerate(DAYS):
        ScreenDayRollup.objects.create(
            screen=screen,
            day=date(2026, 3, 1) + timedelta(days=number),
            opening=opening,
            beats=beats,
            inside=inside,
            played_seconds=seconds,
            late=late,
        )
    expected = total(settled(o, i, s, late) for o, _b, i, s, late in DAYS)
    got = settled_total(ScreenDayRollup.objects.all())
    assert (got.opening, got.on, got.late) == (
        expected.opening,
        expected.on,
        expected.late,
    )
    assert got.played == pytest.approx(expected.played)
    assert settled_total(ScreenDayRollup.objects.none()) == Minutes()
