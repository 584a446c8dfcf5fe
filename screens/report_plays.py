"""Plays per item and per campaign: how often each piece of content was
shown, for how long and on how many screens (proof for sponsors and the
year-end report). Every play reported as started in the period counts,
inside the opening hours or not."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from cms.snippets import Campaign
from screens.minutes import Period
from screens.models import EmergencyItem, PlaylistItem, PlayRecord


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


def plays_in(period: Period, scope: QuerySet) -> QuerySet:
    return PlayRecord.objects.filter(
        screen__in=scope, started_at__gte=period.start, started_at__lt=period.end
    ).order_by()


def counted(rows: QuerySet) -> QuerySet:
    return rows.annotate(
        plays=Count("id"),
        seconds=Sum("seconds"),
        screens=Count("screen_id", distinct=True),
    )


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
    rows = list(
        counted(plays_in(period, scope).values("item_id", "emergency_id", "page_id"))
    )
    items = PlaylistItem.objects.select_related("page", "image", "group").in_bulk(
        {row["item_id"] for row in rows} - {None}
    )
    emergencies = EmergencyItem.objects.select_related("group").in_bulk(
        {row["emergency_id"] for row in rows} - {None}
    )
    pages = dict(
        Page.objects.filter(
            pk__in={row["page_id"] for row in rows} - {None}
        ).values_list("pk", "title")
    )
    lines = [
        PlayLine(
            *item_label(row, items, emergencies, pages),
            row["plays"],
            row["seconds"] or 0.0,
            row["screens"],
        )
        for row in rows
    ]
    return sorted(lines, key=lambda line: (-line.plays, line.label))


def campaign_lines(period: Period, scope: QuerySet) -> list[PlayLine]:
    rows = list(
        counted(plays_in(period, scope).exclude(campaign=None).values("campaign_id"))
    )
    campaigns = Campaign.objects.in_bulk({row["campaign_id"] for row in rows})
    lines = []
    for row in rows:
        campaign = campaigns[row["campaign_id"]]
        dates = f"{campaign.start_date:%Y-%m-%d}～{campaign.end_date:%Y-%m-%d}"
        lines.append(
            PlayLine(
                campaign.name,
                "",
                dates,
                row["plays"],
                row["seconds"] or 0.0,
                row["screens"],
            )
        )
    return sorted(lines, key=lambda line: (-line.plays, line.label))
