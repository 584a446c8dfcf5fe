"""A reach report's chart: a column per line (at most MAX_COLUMNS, the
largest), counted, imported and estimated reach side by side on one scale,
never stacked or added."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.reporting.charts import Category, Chart, Layout, Scale, Series, column_chart
from reach.reports import Line

MAX_COLUMNS = 12
SERIES = (
    Series("counted", gettext_lazy("统计")),
    Series("imported", gettext_lazy("导入")),
    Series("estimated", gettext_lazy("估算")),
)
LAYOUT = Layout(left=84, top=36, bottom=28, font_size=13)


def figures_in_words(line: Line) -> str:
    figures = line.figures
    words = _("%(label)s：统计 %(counted)s，导入 %(imported)s，估算 %(estimated)s") % {
        "label": line.label,
        "counted": f"{figures.counted:,}",
        "imported": f"{figures.imported:,}",
        "estimated": f"{figures.estimated:,}",
    }
    if figures.missing:
        words += _("（%(missing)s 项估算缺少依据）") % {"missing": figures.missing}
    return words


def reach_chart(chart_id: str, title: str, lines: list[Line]) -> Chart | None:
    shown = lines[:MAX_COLUMNS]
    if not shown:
        return None
    columns = [
        Category(
            label=line.label,
            values=(
                line.figures.counted,
                line.figures.imported,
                line.figures.estimated,
            ),
            title=figures_in_words(line),
        )
        for line in shown
    ]
    description = _(
        "柱状图：每组左为统计、中为导入、右为估算的触达人次，三者分开、不相加。"
    ) + "；".join(figures_in_words(line) for line in shown)
    return column_chart(
        chart_id,
        title,
        description,
        series=SERIES,
        columns=columns,
        scale=Scale.counting(max(line.figures.largest for line in shown)),
        layout=LAYOUT,
    )
