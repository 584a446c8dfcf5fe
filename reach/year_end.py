"""The year-end 考核 report of an organisation and those below it: the
figures the offices' annual reports use — issues and programmes per
outlet against its annual target, short videos published per platform,
screens with their 开机率 and 使用率, partners' pulls, and reach by channel
with counted, imported and estimated apart — each with where its records
are (a ledger or admin filter), as a PDF (WeasyPrint, CJK fonts, charts),
an XLSX workbook or CSV. `manage.py reach_report` and the admin's 年度考核
报告 make the same report."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from channels.models import Outlet, Placement
from channels.reports import OutletLine, outlet_lines
from channels.short_video.posts import POSTING
from cms.organisations import Organisation, Scope
from cms.public_address import public_url
from cms.reporting.sheets import Sheet, csv_bytes, xlsx_bytes
from partners.models import Partner
from reach.charts import reach_chart
from reach.reports import Figures, Ledger, Line, Period, added_up
from screens.minutes import Minutes, settled_total
from screens.models import Screen, ScreenDayRollup

FORMATS = ("pdf", "xlsx", "csv")


@dataclass(frozen=True)
class Traced:
    label: str
    value: int | float | None
    where: str  # the admin address listing the records it comes from


@dataclass(frozen=True)
class PlatformLine:
    platform: str
    accounts: int
    published: int
    plays: int  # imported


@dataclass(frozen=True)
class PartnerLine:
    name: str
    pulls: int
    items: int  # items delivered for the first time in the year
    reported: int  # reach the partner reported (imported)


@dataclass(frozen=True)
class YearEndReport:
    organisation: Organisation
    year: int
    made_at: datetime
    reach: Figures
    channels: list[Line]
    months: list[Line]
    organisations: list[Line]
    outlets: list[OutletLine]
    platforms: list[PlatformLine]
    screens: int
    screen_minutes: Minutes
    screen_plays: int
    partners: list[PartnerLine]

    @property
    def period(self) -> Period:
        return Period(self.year)

    def ledger_url(self, **filters) -> str:
        query = {"year": self.year, "organisation": self.organisation.pk, **filters}
        return public_url(reverse("reach_records:index")) + "?" + urlencode(query)

    @property
    def placements_url(self) -> str:
        return public_url(reverse("channel_report:index")) + f"?year={self.year}"

    @property
    def title(self) -> str:
        return _("%(organisation)s %(year)s 年度科普传播考核报告") % {
            "organisation": self.organisation.name,
            "year": self.year,
        }


def platform_lines(
    organisation: Organisation, year: int, ledger: Ledger
) -> list[PlatformLine]:
    posts = Placement.objects.filter(
        outlet__channel="short_video",
        outlet__owner__path__startswith=organisation.path,
        status=Placement.Status.DELIVERED,
        advisory=None,
        posted_at__year=year,
    )
    published = dict(posts.values_list("outlet").annotate(n=Count("pk")).order_by())
    plays = added_up(
        (part for part in ledger.parts if part.channel == "short_video"),
        lambda part: part.outlet,
    )
    lines: dict[str, list[int]] = {}
    outlets = Outlet.objects.filter(
        channel="short_video", owner__path__startswith=organisation.path
    )
    for outlet in outlets:
        platform = outlet.parsed_spec.platform
        line = lines.setdefault(platform, [0, 0, 0])
        line[0] += 1
        line[1] += published.get(outlet.pk, 0)
        line[2] += plays.get(outlet.pk, Figures()).imported
    return [
        PlatformLine(str(POSTING[platform].label), *figures)
        for platform, figures in sorted(lines.items())
    ]


def partner_lines(ledger: Ledger) -> list[PartnerLine]:
    reported = added_up(
        (part for part in ledger.parts if part.partner), lambda part: part.partner
    )
    pulls, items = ledger.by_partner("pulls"), ledger.by_partner("items")
    names = Partner.objects.in_bulk(set(pulls) | set(reported))
    return sorted(
        (
            PartnerLine(
                names[pk].name,
                pulls.get(pk, 0),
                items.get(pk, 0),
                reported[pk].imported,
            )
            for pk in names
        ),
        key=lambda line: line.name,
    )


def year_end_report(
    organisation: Organisation, year: int, now: datetime | None = None
) -> YearEndReport:
    now = now or timezone.now()
    ledger = Ledger(organisation, Period(year))
    screens_below = Screen.objects.filter(
        group__owner__path__startswith=organisation.path
    )
    return YearEndReport(
        organisation=organisation,
        year=year,
        made_at=now,
        reach=ledger.total(),
        channels=ledger.by_channel(),
        months=ledger.by_month(),
        organisations=ledger.by_organisation(),
        outlets=outlet_lines(year, Scope([organisation.path])),
        platforms=platform_lines(organisation, year, ledger),
        screens=screens_below.count(),
        screen_minutes=settled_total(
            ScreenDayRollup.objects.filter(screen__in=screens_below, day__year=year)
        ),
        screen_plays=added_up(ledger.parts, lambda part: part.channel)
        .get("screens", Figures())
        .counted,
        partners=partner_lines(ledger),
    )


# Outputs ----------------------------------------------------------------------------


# The series' colours inside the charts' SVG, where WeasyPrint reads them.
CHART_STYLE = (
    ".counted{fill:#007d7e}.imported{fill:#6a4fb3}.estimated{fill:#c9a227}"
    "line{stroke:#c8ccd2}text{font-family:'Noto Sans CJK SC',sans-serif;fill:#1a1a1a}"
)


def report_html(report: YearEndReport) -> str:
    return render_to_string(
        "reach/year_end.html",
        {
            "report": report,
            "chart_style": CHART_STYLE,
            "channel_chart": reach_chart(
                "channels", _("各渠道触达人次（统计、导入、估算分列）"), report.channels
            ),
            "month_chart": reach_chart(
                "months", _("各月触达人次（统计、导入、估算分列）"), report.months
            ),
        },
    )


def report_pdf(report: YearEndReport) -> bytes:
    from weasyprint import HTML

    return HTML(string=report_html(report), base_url=public_url("/")).write_pdf()


def percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


def report_sheets(report: YearEndReport) -> list[Sheet]:
    figures_header = [
        _("统计触达"),
        _("导入触达"),
        _("估算触达"),
        _("估算缺少依据（项）"),
        _("互动"),
    ]

    def figure_rows(lines: list[Line]) -> list[list]:
        return [
            [line.label, *line.figures.values(), report.ledger_url(**line.trace)]
            for line in lines
        ]

    where = _("记录位置")
    reach_rows = figure_rows(report.channels)
    reach_rows.append([_("合计"), *report.reach.values(), report.ledger_url()])
    minutes = report.screen_minutes
    return [
        Sheet(_("传播量按渠道"), [_("渠道"), *figures_header, where], reach_rows),
        Sheet(
            _("传播量按月"),
            [_("月份"), *figures_header, where],
            figure_rows(report.months),
        ),
        Sheet(
            _("传播量按单位"),
            [_("单位"), *figures_header, where],
            [
                [
                    "　" * line.depth + line.label,
                    *line.figures.values(),
                    report.ledger_url(**line.trace),
                ]
                for line in report.organisations
            ],
        ),
        Sheet(
            _("刊播期数与年度目标"),
            [
                _("渠道账号/栏目"),
                _("渠道"),
                _("年度目标"),
                _("已交付"),
                _("完成率"),
                where,
            ],
            [
                [
                    line.name,
                    line.channel,
                    line.target,
                    line.counts.delivered,
                    None if line.percent is None else line.percent / 100,
                    report.placements_url,
                ]
                for line in report.outlets
            ],
            percent_columns=(4,),
        ),
        Sheet(
            _("短视频按平台"),
            [_("平台"), _("账号数"), _("发布条数"), _("播放（导入）"), where],
            [
                [
                    line.platform,
                    line.accounts,
                    line.published,
                    line.plays,
                    report.ledger_url(channel="short_video"),
                ]
                for line in report.platforms
            ],
        ),
        Sheet(
            _("科普大屏"),
            [_("屏幕数"), _("开机率"), _("使用率"), _("播放次数（统计）"), where],
            [
                [
                    report.screens,
                    percent(minutes.uptime),
                    percent(minutes.usage),
                    report.screen_plays,
                    report.ledger_url(channel="screens"),
                ]
            ],
            percent_columns=(1, 2),
        ),
        Sheet(
            _("合作方"),
            [
                _("合作方"),
                _("拉取次数（统计）"),
                _("送达条目（统计）"),
                _("报送触达（导入）"),
                where,
            ],
            [
                [
                    line.name,
                    line.pulls,
                    line.items,
                    line.reported,
                    report.ledger_url(channel="partner"),
                ]
                for line in report.partners
            ],
        ),
    ]


def report_file(report: YearEndReport, file_format: str) -> bytes:
    if file_format == "pdf":
        return report_pdf(report)
    sheets = report_sheets(report)
    if file_format == "xlsx":
        return xlsx_bytes(sheets)
    return csv_bytes(sheets, f"{report.organisation.name} {report.year}")
