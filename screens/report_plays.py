"""Plays per item and per campaign: how often each piece of content was
shown, for how long and on how many screens (proof for sponsors and the
year-end report). Every play reported as started in the period counts,
inside the opening hours or not.

A finished day is read from its PlayDayRollup rows (screens.rollups), the
others from the raw plays; both as plays and seconds per source and screen,
added up here (a screen counts once per line however many days it played)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from cms.snippets import Campaign
from screens.minutes import Period, day_sources
from screens.models import EmergencyItem, PlayDayRollup, PlaylistItem, PlayRecord


@dataclass(frozen=True)
class PlayLine:
    label: str
    kind: str
    owner: str  # the group whose loop has the item, or the campaign's dates
    plays: int
    seconds: float
    screens: int

    @property
    def minutes(self) -> float:
        return self.seconds / 60


ITEM = ("item_id", "emergency_id", "page_id")
SOURCE = (*ITEM, "campaign_id")


@dataclass
class Tally:
    plays: int = 0
    seconds: float = 0.0
    screens: set[int] = field(default_factory=set)


def per_source_and_screen(period: Period, scope: QuerySet) -> list[dict]:
    sources = day_sources(period)
    rows = list(
        PlayDayRollup.objects.filter(screen__in=scope, day__in=sources.rolled)
        .values(*SOURCE, "screen_id")
        .annotate(count=Sum("plays"), total=Sum("seconds"))
        .order_by()
    )
    for start, end in sources.raw_spans:
        rows += (
            PlayRecord.objects.filter(
                screen__in=scope, started_at__gte=start, started_at__lt=end
            )
            .values(*SOURCE, "screen_id")
            .annotate(count=Count("id"), total=Sum("seconds"))
            .order_by()
        )
    return rows


def tallies(period: Period, scope: QuerySet, fields: tuple[str, ...]) -> dict:
    """Plays, seconds and screens per value of `fields`."""
    found: dict[tuple, Tally] = defaultdict(Tally)
    for row in per_source_and_screen(period, scope):
        tally = found[tuple(row[name] for name in fields)]
        tally.plays += row["count"]
        tally.seconds += row["total"] or 0.0
        tally.screens.add(row["screen_id"])
    return found


def item_label(row: dict, items: dict, emergencies: dict, pages: dict) -> tuple:
    """(title, kind, owner) of one row of plays per item."""
    if item := items.get(row["item_id"]):
        title = item.title or pages.get(row["page_id"]) or str(item)
        return title, str(item.get_kind_display()), str(item.group)
    if emergency := emergencies.get(row["emergency_id"]):
        return emergency.title, str(_("应急科普")), str(emergency.group)
    title = pages.get(row["page_id"]) or str(_("已删除的播放项"))
    return title, "", ""


def item_lines(period: Period, scope: QuerySet) -> list[PlayLine]:
    found = tallies(period, scope, ITEM)
    keys = [dict(zip(ITEM, key, strict=True)) for key in found]
    items = PlaylistItem.objects.select_related("page", "image", "group").in_bulk(
        {key["item_id"] for key in keys} - {None}
    )
    emergencies = EmergencyItem.objects.select_related("group").in_bulk(
        {key["emergency_id"] for key in keys} - {None}
    )
    pages = dict(
        Page.objects.filter(
            pk__in={key["page_id"] for key in keys} - {None}
        ).values_list("pk", "title")
    )
    lines = [
        PlayLine(
            *item_label(key, items, emergencies, pages),
            tally.plays,
            tally.seconds,
            len(tally.screens),
        )
        for key, tally in zip(keys, found.values(), strict=True)
    ]
    return sorted(lines, key=lambda line: (-line.plays, line.label))


def campaign_lines(period: Period, scope: QuerySet) -> list[PlayLine]:
    found = tallies(period, scope, ("campaign_id",))
    found.pop((None,), None)
    campaigns = Campaign.objects.in_bulk([key for (key,) in found])
    lines = []
    for (campaign_id,), tally in found.items():
        campaign = campaigns[campaign_id]
        dates = f"{campaign.start_date:%Y-%m-%d}～{campaign.end_date:%Y-%m-%d}"
        lines.append(
            PlayLine(
                campaign.name,
                "",
                dates,
                tally.plays,
                tally.seconds,
                len(tally.screens),
            )
        )
    return sorted(lines, key=lambda line: (-line.plays, line.label))
