"""The bar-chart builder: scales, columns side by side, overlaid rows with a
mark, labels thinned out, the legend, and the template drawing it all."""

import pytest
from django.template.loader import render_to_string

from cms.reporting.charts import (
    Category,
    Layout,
    Rect,
    Scale,
    Series,
    Text,
    bar_chart,
    column_chart,
    round_up,
)

PLANNED = Series("planned", "计划")
DELIVERED = Series("delivered", "已交付")
TARGET = Series("target", "年度目标")
LAYOUT = Layout(left=40, top=20, bottom=30, height=220)


@pytest.mark.parametrize(
    ("value", "rounded"), [(0, 1), (0.3, 1), (3, 5), (7.5, 10), (11, 20), (210, 500)]
)
def test_round_up_to_one_two_or_five_times_a_power_of_ten(value, rounded):
    assert round_up(value) == rounded


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [(0, [0, 1]), (3, [0, 1, 2, 3]), (12, [0, 5, 10, 15]), (30, [0, 10, 20, 30])],
)
def test_counting_scale_has_whole_round_steps_reaching_the_largest(largest, ticks):
    assert Scale.counting(largest).ticks() == ticks


def test_a_percent_scale_labels_its_ticks_as_percentages():
    scale = Scale(1, 0.25, percent=True)
    assert [scale.label(v) for v in scale.ticks()] == [
        "0%",
        "25%",
        "50%",
        "75%",
        "100%",
    ]


def rects(group) -> list[Rect]:
    return [shape for shape in group.shapes if isinstance(shape, Rect)]


def test_columns_stand_side_by_side_on_the_baseline():
    chart = column_chart(
        "c",
        "标题",
        "说明",
        series=(PLANNED, DELIVERED),
        columns=[Category("1月", (10, 5), "1月"), Category("2月", (0, 0), "2月")],
        scale=Scale(10, 5),
        layout=LAYOUT,
    )
    legend, axis, first, second = chart.groups
    planned, delivered = rects(first)
    assert (planned.y, planned.height) == (20, 170)  # the whole plot
    assert (delivered.y, delivered.height) == (105, 85)
    assert delivered.x == planned.x + planned.width
    assert planned.x + planned.width == pytest.approx(40 + 720 / 4)  # the middle
    assert rects(second)[0].height == 0
    assert [shape.content for shape in legend.shapes if isinstance(shape, Text)] == [
        "计划",
        "已交付",
    ]
    assert len(axis.shapes) == 2 * 3  # a line and a label per tick
    assert first.title == "1月"


def test_column_labels_are_thinned_to_max_labels():
    chart = column_chart(
        "c",
        "标题",
        "说明",
        series=(Series("pulls"),),
        columns=[Category(f"{n}", (n,), f"{n}") for n in range(30)],
        scale=Scale(30, 10),
        layout=Layout(left=40, top=20, bottom=30, max_labels=6),
    )
    labels = [
        shape.content
        for group in chart.groups
        if group.css_class == "bar"
        for shape in group.shapes
        if isinstance(shape, Text)
    ]
    assert labels == ["0", "5", "10", "15", "20", "25"]
    assert chart.groups[0].css_class == "axis"  # no labelled series: no legend


def test_rows_overlay_their_series_first_in_front_with_a_mark_and_a_note():
    chart = bar_chart(
        "b",
        "标题",
        "说明",
        series=(DELIVERED, PLANNED),
        bars=[
            Category(
                "一个名字很长很长很长很长的栏目",
                (18, 21),
                "提示",
                mark=30,
                note="18 / 30",
            ),
            Category("科学五分钟", (3, 4), "提示"),
        ],
        scale=Scale(30, 10),
        layout=Layout(left=190, right=150, top=36, bottom=24, font_size=13),
        mark=TARGET,
    )
    first, second = chart.groups[2:]
    label, planned, delivered, mark, note = first.shapes
    assert [planned.css_class, delivered.css_class] == ["planned", "delivered"]
    assert (planned.width, delivered.width) == (294, 252)
    assert mark.x1 == mark.x2 == 190 + 420
    assert note.content == "18 / 30" and note.x > 190 + 420
    assert len(label.content) == (190 - 6) // 13  # cut to fit the margin
    assert label.anchor == "end"
    assert [shape.tag for shape in second.shapes] == ["text", "rect", "rect"]
    assert chart.height == 36 + 2 * 34 + 24


def test_the_template_draws_an_accessible_svg():
    chart = column_chart(
        "daily-chart",
        "每日",
        "柱状图 <说明>",
        series=(PLANNED,),
        columns=[Category("03-03", (1,), "03-03：1 次")],
        scale=Scale(5, 1),
        layout=LAYOUT,
    )
    svg = render_to_string("reporting/chart.html", {"chart": chart})
    assert 'aria-labelledby="daily-chart-title daily-chart-desc"' in svg
    assert '<desc id="daily-chart-desc">柱状图 &lt;说明&gt;</desc>' in svg
    assert svg.count('<g class="bar">') == 1
    assert "<title>03-03：1 次</title>" in svg
    assert '<g class="axis" aria-hidden="true">' in svg
    assert (
        '<rect class="planned" x="140.8" y="156.0" width="518.4" height="34.0"/>' in svg
    )
