"""The demo's outlets — the newspaper column and the radio programme as the
channels see them — and their next few placements, for the calendar."""

import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

from django.utils import timezone

from channels.models import Outlet, Placement
from cms.pages import ColumnEpisodePage, ColumnPage, visible_pages
from demo import content

UPCOMING = 3  # placements per outlet


def outlet_fields(column: content.ColumnData) -> dict:
    # Outside the project tree (var/ included), where a folder may not be.
    drop = Path(tempfile.gettempdir()) / "kepu-demo-deliveries" / column.slug
    common = {
        "organisation": column.outlet_name,
        "cadence": Outlet.Cadence.WEEKLY,
        "delivery": Outlet.Delivery.FOLDER,
        "delivery_target": str(drop),
    }
    if column.channel == "newspaper":
        spec = {
            "target_chars": 500,
            "tolerance": 150,
            "byline_format": "特约撰稿 {author}",
            "circulation": 86_000,
            "readers_per_copy": 2.5,
            "circulation_source": "2026 年度报纸发行量核验",
        }
        return {
            **common,
            "spec": spec,
            "cadence_weekdays": [2],
            "cadence_time": time(7, 0),
            "annual_target": 30,
        }
    spec = {
        "slot_seconds": 300,
        "chars_per_minute": 240,
        "loudness_target": "gy_t_282",
        "audience": 42_000,
        "audience_source": "2026 年长春地区广播收听调查，早间时段",
    }
    return {
        **common,
        "spec": spec,
        "cadence_weekdays": [4],
        "cadence_time": time(7, 25),
        "annual_target": 52,
    }


def next_slots(outlet: Outlet, count: int) -> list[datetime]:
    """The outlet's next publication times after today, in Beijing time."""
    day = timezone.localdate() + timedelta(days=1)
    slots = []
    while len(slots) < count:
        if day.isoweekday() in outlet.cadence_weekdays:
            moment = datetime.combine(day, outlet.cadence_time)
            slots.append(timezone.make_aware(moment))
        day += timedelta(days=1)
    return slots


def plan(outlet: Outlet, page, when: datetime) -> Placement:
    placement = Placement(page=page, outlet=outlet, scheduled_at=when)
    placement.full_clean()
    placement.save()
    placement.record(Placement.Status.PLANNED, note="演示数据")
    return placement


def place_upcoming(outlet: Outlet, column: ColumnPage) -> int:
    episodes = visible_pages(column.get_children()).type(ColumnEpisodePage)
    unplaced = episodes.exclude(placements__outlet=outlet).order_by("-path")[:UPCOMING]
    created = 0
    for page, when in zip(unplaced, next_slots(outlet, UPCOMING), strict=False):
        plan(outlet, page, when)
        created += 1
    return created


def load_outlets() -> str:
    outlets = placements = 0
    for column_data in content.COLUMNS:
        outlet, created = Outlet.objects.get_or_create(
            name=column_data.title,
            defaults={"channel": column_data.channel, **outlet_fields(column_data)},
        )
        outlets += created
        if created:
            column = ColumnPage.objects.get(slug=column_data.slug)
            placements += place_upcoming(outlet, column)
    return f"outlets: created {outlets}, placements created {placements}"
