"""POST /api/partner/figures/: a partner reports its own figures (reads,
plays, likes, shares, comments) per item and day for the items its key's
feeds carried. The whole request is checked first: one bad row and nothing
is saved, and every bad row is named with its reason in Chinese; a good
request replaces what the partner sent before for the same item, day and
metric, so sending a file twice changes nothing."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from partners.api import ERRORS, PartnerAPIView
from partners.models import ReportedFigure
from partners.scope import held_by

MAX_ROWS = 1000
# A figure beyond this for one item on one day is a typing error.
ABSURD = 1_000_000_000
METRICS = ReportedFigure.Metric


@dataclass(frozen=True)
class Figure:
    page_id: int
    day: date
    metric: str
    value: int


def row_problem(row, entered: dict[int, datetime], today: date) -> str | Figure:
    """The row's figure, or why it cannot be taken."""
    if not isinstance(row, dict):
        return _('应为对象：{"id", "date", "metric", "value"}')
    page_id = row.get("id")
    if not isinstance(page_id, int) or isinstance(page_id, bool):
        return _("缺少条目 id（整数）")
    if page_id not in entered:
        return _("本密钥的订阅源从未包含条目 %(id)s") % {"id": page_id}
    try:
        day = date.fromisoformat(str(row.get("date", "")))
    except ValueError:
        return _("日期应为 YYYY-MM-DD，收到「%(date)s」") % {
            "date": row.get("date", "")
        }
    first_day = timezone.localdate(entered[page_id])
    if day > today:
        return _("日期 %(day)s 晚于今天") % {"day": day}
    if day < first_day:
        return _("条目 %(id)s 于 %(first)s 才进入订阅源，不能报送 %(day)s 的数据") % {
            "id": page_id,
            "first": first_day,
            "day": day,
        }
    metric = row.get("metric")
    if metric not in METRICS.values:
        return _("未知指标「%(metric)s」（可选：%(metrics)s）") % {
            "metric": metric,
            "metrics": "、".join(METRICS.values),
        }
    value = row.get("value")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return _("数值应为非负整数，收到「%(value)s」") % {"value": value}
    if value >= ABSURD:
        return _("数值 %(value)s 不合常理，请核对") % {"value": value}
    return Figure(page_id, day, metric, value)


def checked_figures(rows: list, feeds, today: date) -> tuple[list[Figure], list[dict]]:
    ids = {row.get("id") for row in rows if isinstance(row, dict)}
    entered = held_by(feeds, {pk for pk in ids if isinstance(pk, int)})
    figures, rejected, seen = [], [], {}
    for number, row in enumerate(rows, start=1):
        figure = row_problem(row, entered, today)
        if isinstance(figure, Figure):
            same = (figure.page_id, figure.day, figure.metric)
            if same in seen:
                figure = _("与第 %(row)s 行重复") % {"row": seen[same]}
            else:
                seen[same] = number
        if isinstance(figure, Figure):
            figures.append(figure)
        else:
            rejected.append({"row": number, "reason": figure})
    return figures, rejected


@transaction.atomic
def save_figures(partner, figures: list[Figure]) -> int:
    now = timezone.now()
    for figure in figures:
        ReportedFigure.objects.update_or_create(
            partner=partner,
            page_id=figure.page_id,
            day=figure.day,
            metric=figure.metric,
            defaults={"value": figure.value, "reported_at": now},
        )
    return len(figures)


FIGURE_ROW = inline_serializer(
    "ReportedFigure",
    {
        "id": serializers.IntegerField(help_text="条目 id"),
        "date": serializers.DateField(help_text="数据所属日期（北京时间）"),
        "metric": serializers.ChoiceField(choices=METRICS.choices),
        "value": serializers.IntegerField(min_value=0),
    },
)


@extend_schema(
    summary="报送传播数据",
    tags=["传播数据"],
    description=(
        "报送本单位转载条目的阅读、播放、点赞、转发、评论数，按条目、日期、指标各一行，"
        f"一次最多 {MAX_ROWS} 行。任何一行不合格则全部不保存，并逐行给出原因；"
        "同一条目同一日期同一指标再次报送会替换原值。"
    ),
    request=inline_serializer(
        "ReportedFigures", {"figures": serializers.ListField(child=FIGURE_ROW)}
    ),
    responses={
        200: inline_serializer("FiguresSaved", {"saved": serializers.IntegerField()}),
        400: OpenApiResponse(
            description="请求格式不对，或有不合格的行（逐行给出原因）"
        ),
        **ERRORS,
    },
)
class FiguresView(PartnerAPIView):
    def post(self, request, *args, **kwargs):
        rows = request.data.get("figures") if isinstance(request.data, dict) else None
        if not isinstance(rows, list) or not rows:
            raise exceptions.ValidationError({"figures": _("请提供 figures 列表")})
        if len(rows) > MAX_ROWS:
            message = _("一次最多报送 %(most)s 行，收到 %(rows)s 行")
            raise exceptions.ValidationError(
                {"figures": message % {"most": MAX_ROWS, "rows": len(rows)}}
            )
        feeds = list(self.grant.key.feeds.all())
        figures, rejected = checked_figures(rows, feeds, timezone.localdate())
        if rejected:
            detail = _("%(count)s 行不合格，未保存任何数据") % {"count": len(rejected)}
            return Response({"detail": detail, "rejected": rejected}, status=400)
        return Response({"saved": save_figures(self.grant.key.partner, figures)})
