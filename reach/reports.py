"""Reach reports: the ledger of an organisation and those below it over a
year (or one of its months), by channel, month, organisation, tier,
outlet or partner, item, campaign or audience. Every line keeps counted,
imported and estimated reach in their own columns, never added together,
with the estimates that miss an input counted apart (shown as missing, not
zero), and the platforms' engagement (likes, shares, comments) beside
them. Reach is what reaches people: reads, plays, downloads and people
(覆盖人次, readers, listeners); play time and pulls are not reach.

Each report is one aggregate query over the ledger, whatever its size."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.reports import CONTENT_MODELS
from cms.organisations import Organisation
from reach.models import ReachRecord

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


def ledger(organisation: Organisation, period: Period) -> QuerySet:
    return ReachRecord.objects.filter(
        organisation__path__startswith=organisation.path,
        day__gte=period.first,
        day__lt=period.after,
    )


def total(records: QuerySet) -> Figures:
    return figures_of(records.aggregate(**FIGURES))


def grouped(records: QuerySet, *fields: str) -> list[dict]:
    return list(records.values(*fields).annotate(**FIGURES).order_by())


def by_channel(records: QuerySet) -> list[Line]:
    rows = grouped(records, "channel")
    lines = [
        Line(
            channel_label(row["channel"]), figures_of(row), {"channel": row["channel"]}
        )
        for row in rows
    ]
    return sorted(lines, key=lambda line: -line.figures.largest)


def by_month(records: QuerySet, period: Period) -> list[Line]:
    rows = {
        row["month"]: figures_of(row)
        for row in grouped(records.annotate(month=ExtractMonth("day")), "month")
    }
    months = [period.month] if period.month else range(1, 13)
    return [
        Line(
            _("%(month)s月") % {"month": month},
            rows.get(month, Figures()),
            {"month": month},
        )
        for month in months
    ]


def by_organisation(records: QuerySet, organisation: Organisation) -> list[Line]:
    """Each organisation's own figures, in tree order, indented by depth."""
    rows = {
        row["organisation"]: figures_of(row) for row in grouped(records, "organisation")
    }
    below = Organisation.objects.filter(path__startswith=organisation.path).order_by(
        "path"
    )
    top = organisation.path.count("/")
    return [
        Line(
            org.name,
            rows.get(org.pk, Figures()),
            {"organisation": org.pk},
            depth=org.path.count("/") - top,
        )
        for org in below
    ]


def by_tier(records: QuerySet) -> list[Line]:
    tiers = dict(Organisation.Tier.choices)
    rows = grouped(records, "organisation__tier")
    return [
        Line(
            str(tiers[row["organisation__tier"]]),
            figures_of(row),
            {"tier": row["organisation__tier"]},
        )
        for row in sorted(rows, key=lambda row: row["organisation__tier"])
    ]


def by_outlet(records: QuerySet) -> list[Line]:
    """Outlets and partners; the site, downloads and screens as channels."""
    rows = grouped(
        records, "channel", "outlet", "outlet__name", "partner", "partner__name"
    )
    lines = []
    for row in rows:
        if row["outlet"]:
            label, trace = row["outlet__name"], {"outlet": row["outlet"]}
        elif row["partner"]:
            label, trace = row["partner__name"], {"partner": row["partner"]}
        else:
            label, trace = channel_label(row["channel"]), {"channel": row["channel"]}
        lines.append(Line(label, figures_of(row), trace))
    return sorted(lines, key=lambda line: -line.figures.largest)


def by_item(records: QuerySet, limit: int = 100) -> list[Line]:
    rows = grouped(records.exclude(page=None), "page", "page__title")
    lines = [
        Line(row["page__title"], figures_of(row), {"page": row["page"]}) for row in rows
    ]
    return sorted(lines, key=lambda line: -line.figures.largest)[:limit]


def page_labels(field_name: str, pages: QuerySet) -> dict[int, list[tuple[int, str]]]:
    """page id → (id, name) of the campaign or audiences it carries: one
    query per content model."""
    labels: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for model in CONTENT_MODELS:
        rows = model.objects.filter(pk__in=pages).values_list(
            "pk", f"{field_name}__pk", f"{field_name}__name"
        )
        for pk, label_id, name in rows:
            if label_id is not None:
                labels[pk].append((label_id, name))
    return labels


def by_label(records: QuerySet, field_name: str) -> list[Line]:
    per_page = {
        row["page"]: figures_of(row)
        for row in grouped(records.exclude(page=None), "page")
    }
    sums: dict[tuple[int, str], Figures] = defaultdict(Figures)
    for page, labels in page_labels(field_name, records.values("page")).items():
        for label in labels:
            sums[label] += per_page.get(page, Figures())
    lines = [
        Line(name, figures, {field_name: label_id})
        for (label_id, name), figures in sums.items()
    ]
    return sorted(lines, key=lambda line: -line.figures.largest)


def by_campaign(records: QuerySet) -> list[Line]:
    return by_label(records, "campaign")


def by_audience(records: QuerySet) -> list[Line]:
    """An item for several audiences counts under each."""
    return by_label(records, "audiences")


def carrying(field_name: str, label_id: int) -> Q:
    """The records of the items that carry this campaign or audience."""
    carried = Q(pk__in=[])
    for model in CONTENT_MODELS:
        pages = model.objects.filter(**{field_name: label_id}).values("pk")
        carried |= Q(page__in=pages)
    return carried


def sum_lines(lines: Iterable[Line]) -> Figures:
    return sum((line.figures for line in lines), Figures())
