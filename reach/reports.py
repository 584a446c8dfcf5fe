"""Reach reports: the ledger of an organisation and those below it over a
year (or one of its months), by channel, month, organisation, tier,
outlet or partner, item, campaign or audience. Every line keeps counted,
imported and estimated reach in their own columns, never added together,
with the estimates that miss an input counted apart (shown as missing, not
zero), and the platforms' engagement (likes, shares, comments) beside
them. Reach is what reaches people: reads, plays, downloads and people
(覆盖人次, readers, listeners); play time, pulls and the items delivered to
partners are not reach.

A report reads the ledger's monthly roll-ups (class Ledger), whatever the
ledger's size."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.models import Page

from channels.models import Outlet, Placement
from channels.reports import CONTENT_MODELS
from cms.organisations import Organisation
from cms.trees import tree_order
from partners.models import Partner
from reach.models import MonthRollup, PageMonthRollup, ReachRecord

Metric, Method = ReachRecord.Metric, ReachRecord.Method
REACH = (Metric.READS, Metric.PLAYS, Metric.DOWNLOADS, Metric.PEOPLE)
ENGAGEMENT = (Metric.LIKES, Metric.SHARES, Metric.COMMENTS)
CHANNEL_LABELS = {
    "site": gettext_lazy("网站"),
    "podcast": gettext_lazy("播客与音视频下载"),
    "newspaper": gettext_lazy("报纸"),
    "radio": gettext_lazy("广播"),
    "screens": gettext_lazy("科普大屏"),
    "partner": gettext_lazy("合作方"),
    "short_video": gettext_lazy("短视频"),
}


def channel_label(key: str) -> str:
    return str(CHANNEL_LABELS.get(key, key))


@dataclass(frozen=True)
class Figures:
    counted: int = 0
    imported: int = 0
    estimated: int = 0
    missing: int = 0  # estimates without their inputs
    engagement: int = 0

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            *(a + b for a, b in zip(self.values(), other.values(), strict=True))
        )

    def values(self) -> tuple[int, ...]:
        return (
            self.counted,
            self.imported,
            self.estimated,
            self.missing,
            self.engagement,
        )

    @property
    def largest(self) -> int:
        return max(self.counted, self.imported, self.estimated)


FIGURES = {
    "counted": Coalesce(
        Sum("value", filter=Q(method=Method.COUNTED, metric__in=REACH)), 0
    ),
    "imported": Coalesce(
        Sum("value", filter=Q(method=Method.IMPORTED, metric__in=REACH)), 0
    ),
    "estimated": Coalesce(
        Sum("value", filter=Q(method=Method.ESTIMATED, metric__in=REACH)), 0
    ),
    "missing": Count(
        "pk", filter=Q(method=Method.ESTIMATED, metric__in=REACH, value=None)
    ),
    "engagement": Coalesce(Sum("value", filter=Q(metric__in=ENGAGEMENT)), 0),
}
FIGURE_NAMES = tuple(FIGURES)


def figures_of(row: dict) -> Figures:
    return Figures(*(row[name] for name in FIGURE_NAMES))


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None

    @property
    def first(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def after(self) -> date:
        if self.month and self.month < 12:
            return date(self.year, self.month + 1, 1)
        return date(self.year + 1, 1, 1)

    def __str__(self) -> str:
        if self.month:
            return _("%(year)s 年 %(month)s 月") % {
                "year": self.year,
                "month": self.month,
            }
        return _("%(year)s 年") % {"year": self.year}


@dataclass(frozen=True)
class Line:
    label: str
    figures: Figures
    trace: dict  # the ledger list's filters that show its records
    depth: int = 0
    issues: str = ""  # an outlet's issues in the period against its target


@dataclass(frozen=True)
class Part:
    """The figures of one month, organisation, channel and outlet or
    partner: what the reports add up."""

    month: int
    organisation: int
    channel: str
    outlet: int | None
    partner: int | None
    figures: Figures
    pulls: int
    items: int  # items first delivered to the partner


PULLS = Coalesce(Sum("value", filter=Q(metric=Metric.PULLS)), 0)
ITEMS = Coalesce(Sum("value", filter=Q(metric=Metric.ITEMS)), 0)


def added_up(parts: Iterable[Part], key) -> dict:
    sums: dict = defaultdict(Figures)
    for part in parts:
        sums[key(part)] += part.figures
    return sums


class Ledger:
    """The ledger of an organisation and those below it over a period (whole
    months), as its monthly roll-ups hold it (reach.rollups): every report
    is added up from these parts, so a report costs the same few queries
    and about the same time whatever the ledger holds."""

    def __init__(self, organisation: Organisation, period: Period) -> None:
        self.organisation = organisation
        self.period = period
        self.organisations = tree_order(
            list(Organisation.objects.filter(path__startswith=organisation.path))
        )

    def rollup_rows(self, model) -> QuerySet:
        return model.objects.filter(
            month__gte=self.period.first,
            month__lt=self.period.after,
            organisation__in=[org.pk for org in self.organisations],
        )

    @cached_property
    def parts(self) -> list[Part]:
        rows = self.rollup_rows(MonthRollup).values_list(
            "month",
            "organisation",
            "channel",
            "outlet",
            "partner",
            *FIGURE_NAMES,
            "pulls",
            "items",
        )
        return [
            Part(
                month.month,
                org,
                channel,
                outlet,
                partner,
                Figures(*figures),
                pulls,
                items,
            )
            for month, org, channel, outlet, partner, *figures, pulls, items in rows
        ]

    @cached_property
    def per_page(self) -> dict[int, Figures]:
        rows = (
            self.rollup_rows(PageMonthRollup)
            .values("page")
            .annotate(**{name: Sum(name) for name in FIGURE_NAMES})
            .order_by()
        )
        return {row["page"]: figures_of(row) for row in rows}

    def total(self) -> Figures:
        return sum((part.figures for part in self.parts), Figures())

    def by_channel(self) -> list[Line]:
        sums = added_up(self.parts, lambda part: part.channel)
        lines = [
            Line(channel_label(channel), figures, {"channel": channel})
            for channel, figures in sums.items()
        ]
        return sorted(lines, key=lambda line: -line.figures.largest)

    def by_month(self) -> list[Line]:
        sums = added_up(self.parts, lambda part: part.month)
        months = [self.period.month] if self.period.month else range(1, 13)
        return [
            Line(
                _("%(month)s月") % {"month": month},
                sums.get(month, Figures()),
                {"month": month},
            )
            for month in months
        ]

    def by_organisation(self) -> list[Line]:
        """Each organisation's own figures, in tree order, indented by depth."""
        sums = added_up(self.parts, lambda part: part.organisation)
        top = self.organisation.path.count("/")
        return [
            Line(
                org.name,
                sums.get(org.pk, Figures()),
                {"own_organisation": org.pk},
                depth=org.path.count("/") - top,
            )
            for org in self.organisations
        ]

    def by_tier(self) -> list[Line]:
        tier_of = {org.pk: org.tier for org in self.organisations}
        sums = added_up(self.parts, lambda part: tier_of[part.organisation])
        tiers = dict(Organisation.Tier.choices)
        return [
            Line(str(tiers[tier]), sums[tier], {"tier": tier}) for tier in sorted(sums)
        ]

    def by_outlet(self) -> list[Line]:
        """Outlets and partners; the site, downloads and screens as channels."""
        sums = added_up(
            self.parts, lambda part: (part.channel, part.outlet, part.partner)
        )
        outlets = Outlet.objects.in_bulk({key[1] for key in sums if key[1]})
        partners = Partner.objects.in_bulk({key[2] for key in sums if key[2]})
        delivered = self.issues_of(list(outlets))
        lines = []
        for (channel, outlet, partner), figures in sums.items():
            if outlet:
                label, trace = outlets[outlet].name, {"outlet": outlet}
                issues = issues_text(delivered.get(outlet, 0), outlets[outlet])
                lines.append(Line(label, figures, trace, issues=issues))
                continue
            if partner:
                label, trace = partners[partner].name, {"partner": partner}
            else:
                label, trace = channel_label(channel), {"channel": channel}
            lines.append(Line(label, figures, trace))
        return sorted(lines, key=lambda line: -line.figures.largest)

    def issues_of(self, outlets: list[int]) -> dict[int, int]:
        """Outlet id → its placements delivered in the period (not notices)."""
        zone = timezone.get_current_timezone()
        rows = (
            Placement.objects.filter(
                outlet__in=outlets,
                status=Placement.Status.DELIVERED,
                advisory=None,
                scheduled_at__gte=datetime.combine(self.period.first, time(), zone),
                scheduled_at__lt=datetime.combine(self.period.after, time(), zone),
            )
            .values_list("outlet")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return dict(rows)

    def by_partner(self, figure: str) -> dict[int, int]:
        """Partner id → its pulls or items delivered ("pulls", "items")."""
        sums: dict[int, int] = defaultdict(int)
        for part in self.parts:
            if part.partner:
                sums[part.partner] += getattr(part, figure)
        return sums

    def by_item(self, limit: int = 100) -> list[Line]:
        top = sorted(self.per_page.items(), key=lambda item: -item[1].largest)[:limit]
        titles = dict(
            Page.objects.filter(pk__in=[page for page, _f in top]).values_list(
                "pk", "title"
            )
        )
        return [Line(titles[page], figures, {"page": page}) for page, figures in top]

    def by_label(self, field_name: str) -> list[Line]:
        sums: dict[tuple[int, str], Figures] = defaultdict(Figures)
        pages = self.rollup_rows(PageMonthRollup).values("page")
        for page, labels in page_labels(field_name, pages).items():
            for label in labels:
                sums[label] += self.per_page[page]
        lines = [
            Line(name, figures, {field_name: label_id})
            for (label_id, name), figures in sums.items()
        ]
        return sorted(lines, key=lambda line: -line.figures.largest)

    def by_campaign(self) -> list[Line]:
        return self.by_label("campaign")

    def by_audience(self) -> list[Line]:
        """An item for several audiences counts under each."""
        return self.by_label("audiences")


def issues_text(delivered: int, outlet: Outlet) -> str:
    if outlet.annual_target:
        return _("已交付 %(delivered)s 期 / 年度目标 %(target)s 期") % {
            "delivered": delivered,
            "target": outlet.annual_target,
        }
    return _("已交付 %(delivered)s 期（无年度目标）") % {"delivered": delivered}


def page_labels(field_name: str, pages: QuerySet) -> dict[int, list[tuple[int, str]]]:
    """page id → (id, name) of the campaign or audiences it carries, for
    the pages of a subquery: a query per content model."""
    labels: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for model in CONTENT_MODELS:
        rows = model.objects.filter(pk__in=pages).values_list(
            "pk", f"{field_name}__pk", f"{field_name}__name"
        )
        for pk, label_id, name in rows:
            if label_id is not None:
                labels[pk].append((label_id, name))
    return labels


def carrying(field_name: str, label_id: int) -> Q:
    """The records of the items that carry this campaign or audience."""
    carried = Q(pk__in=[])
    for model in CONTENT_MODELS:
        pages = model.objects.filter(**{field_name: label_id}).values("pk")
        carried |= Q(page__in=pages)
    return carried
