"""What screens report, written straight to the database for the report
and roll-up tests: heartbeats per minute and plays, on screens in service
since New Year 2025 (the make_screen fixture is in tests.screens.fixtures)."""

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from screens.models import Heartbeat, PlayRecord, Screen

BEIJING = ZoneInfo("Asia/Shanghai")
MONDAY = date(2025, 3, 3)
SATURDAY = MONDAY + timedelta(days=5)
EVERY_DAY = [{"days": [1, 2, 3, 4, 5, 6, 7], "start": "08:00", "end": "20:00"}]
WEEKDAYS = [{"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}]
FRIDAY_NIGHT = [{"days": [5], "start": "22:00", "end": "02:00"}]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def beat(screen: Screen, start: datetime, count: int) -> None:
    """A heartbeat in each of `count` minutes from `start` on."""
    Heartbeat.objects.bulk_create(
        Heartbeat(screen=screen, minute=start + timedelta(minutes=n))
        for n in range(count)
    )


def play(screen, start: datetime, seconds: float, item=None, **fields) -> None:
    PlayRecord.objects.create(
        play_id=uuid.uuid4(),
        screen=screen,
        item=item,
        page_id=item.page_id if item else None,
        campaign_id=item.campaign_id if item else None,
        started_at=start,
        seconds=seconds,
        **fields,
    )
