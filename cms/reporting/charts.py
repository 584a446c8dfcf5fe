"""Inline-SVG bar charts for the admin's reports, drawn by
templates/reporting/chart.html, styled by static reporting/chart.css;
a page colours its series through their CSS classes.

A chart shows categories (a month, a day, an outlet) with one value per series
on one scale. It says what it shows in words for screen readers: a title, a
description, and a tooltip per category. Two layouts:

- column_chart: a column per category, left to right, its series side by side;
  the scale on the left, the category labels underneath (at most
  Layout.max_labels of them, evenly spread).
- bar_chart: a row per category, top down, its series overlaid from the axis
  (the first series in front), an optional mark across the row (a target) and
  a note after it; the labels on the left (cut to fit), the scale underneath.
  The chart grows a row per category.

The builders compute every coordinate; the template only draws the shapes.
Sizes are SVG user units, and the SVG scales to the page width."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from django.utils.text import Truncator

GAP = 6  # between a text and what it labels
ROW_HEIGHT = 34
ROW_BAR = 18  # the thickness of a row's bars
MARK_OVERHANG = 4  # a row's mark reaches this far above and below its bars


@dataclass(frozen=True)
class Series:
    name: str  # the CSS class of its shapes
    label: str = ""  # its legend entry; none without


@dataclass(frozen=True)
class Category:
    label: str
    values: tuple[float, ...]  # one per series, in the scale's units
    title: str  # the tooltip: the figures in words
    mark: float | None = None  # bar_chart: a line across the row at this value
    note: str = ""  # bar_chart: a text after the row


def round_up(value: float) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ (n ≥ 0) at or above value."""
    power = 1
    while True:
        for factor in (1, 2, 5):
            if factor * power >= value:
                return factor * power
        power *= 10


@dataclass(frozen=True)
class Scale:
    """The value axis, from 0 to top, with a grid line every step."""

    top: float
    step: float
    percent: bool = False  # the values are rates 0…1, labelled 0%…100%

    @classmethod
    def counting(cls, largest: float, lines: int = 4) -> "Scale":
        """Whole numbers: a round step giving about `lines` grid lines, up to
        the first multiple of it at or above the largest value."""
        step = round_up(max(largest, 1) / lines)
        return cls(step * max(1, math.ceil(largest / step)), step)

    def ticks(self) -> list[float]:
        return [self.step * n for n in range(round(self.top / self.step) + 1)]

    def label(self, value: float) -> str:
        return f"{round(value * 100)}%" if self.percent else str(round(value))


@dataclass(frozen=True)
class Layout:
    """The margins around the plot: left for the scale (columns) or the
    category labels (bars), top for the legend, bottom for the category labels
    (columns) or the scale (bars), right for the notes (bars)."""

    left: int
    top: int
    bottom: int
    right: int = 0
    width: int = 760
    height: int = 240  # column_chart; a bar chart's height follows its rows
    font_size: int = 12
    column_share: float = 0.72  # of a column's slot, taken by its bars
    max_labels: int = 16  # column_chart

    def text_y(self, middle: float) -> float:
        """The baseline of a text centred on `middle`."""
        return middle + self.font_size // 3

    def below(self, y: float) -> float:
        """The baseline of a text hanging under `y`."""
        return y + self.font_size + GAP


@dataclass(frozen=True)
class Rect:
    tag: ClassVar[str] = "rect"
    css_class: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Line:
    tag: ClassVar[str] = "line"
    css_class: str
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Text:
    tag: ClassVar[str] = "text"
    content: str
    x: float
    y: float
    anchor: str = "start"


@dataclass(frozen=True)
class Group:
    """An SVG group. A category's has its tooltip as title and is read by
    screen readers; the legend and the axis have none and are hidden from
    them: the chart's description says what they show."""

    css_class: str
    shapes: list[Rect | Line | Text]
    title: str = ""


@dataclass(frozen=True)
class Chart:
    """What the template draws; its title and description get the ids
    "<chart_id>-title" and "<chart_id>-desc"."""

    chart_id: str
    title: str
    description: str
    width: int
    height: int
    font_size: int
    groups: list[Group]


def legend(
    series: Sequence[Series], mark: Series | None, layout: Layout
) -> list[Group]:
    """A swatch (a line for the mark) and a label per labelled series, in a
    row above the plot, spaced by the length of the labels."""
    size = layout.font_size
    x, shapes = layout.left, []
    for key in [*series, mark] if mark else series:
        if not key.label:
            continue
        if key is mark:
            shapes.append(Line(key.name, x + size / 2, 0, x + size / 2, size))
        else:
            shapes.append(Rect(key.name, x, 0, size, size))
        label = str(key.label)
        shapes.append(Text(label, x + size + GAP, size - 1))
        x += size + GAP + (len(label) + 2) * size  # an em a character (Chinese)
    return [Group("legend", shapes)] if shapes else []


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    *,
    series: Sequence[Series],
    columns: Sequence[Category],
    scale: Scale,
    layout: Layout,
) -> Chart:
    baseline = layout.height - layout.bottom
    right = layout.width - layout.right
    slot = (right - layout.left) / len(columns)
    thickness = slot * layout.column_share / len(series)
    every = math.ceil(len(columns) / layout.max_labels)

    def y(value: float) -> float:
        return baseline - (baseline - layout.top) * value / scale.top

    axis = []
    for value in scale.ticks():
        axis.append(Line("grid", layout.left, y(value), right, y(value)))
        text_y = layout.text_y(y(value))
        axis.append(Text(scale.label(value), layout.left - GAP, text_y, "end"))
    bars = []
    for index, column in enumerate(columns):
        middle = layout.left + (index + 0.5) * slot
        first = middle - thickness * len(series) / 2
        shapes: list = [
            Rect(key.name, first + n * thickness, y(v), thickness, baseline - y(v))
            for n, (key, v) in enumerate(zip(series, column.values, strict=True))
        ]
        if column.label and index % every == 0:
            shapes.append(Text(column.label, middle, layout.below(baseline), "middle"))
        bars.append(Group("bar", shapes, column.title))
    groups = [*legend(series, None, layout), Group("axis", axis), *bars]
    return Chart(
        chart_id,
        title,
        description,
        layout.width,
        layout.height,
        layout.font_size,
        groups,
    )


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    *,
    series: Sequence[Series],
    bars: Sequence[Category],
    scale: Scale,
    layout: Layout,
    mark: Series | None = None,
) -> Chart:
    span = layout.width - layout.left - layout.right
    bottom = layout.top + len(bars) * ROW_HEIGHT
    label_chars = (layout.left - GAP) // layout.font_size

    def x(value: float) -> float:
        return layout.left + span * value / scale.top

    axis = []
    for value in scale.ticks():
        axis.append(Line("grid", x(value), layout.top - GAP, x(value), bottom))
        axis.append(Text(scale.label(value), x(value), layout.below(bottom), "middle"))
    rows = []
    for index, bar in enumerate(bars):
        top = layout.top + index * ROW_HEIGHT
        text_y = layout.text_y(top + ROW_BAR / 2)
        label = Truncator(bar.label).chars(label_chars)
        shapes: list = [Text(label, layout.left - GAP, text_y, "end")]
        back_to_front = reversed(list(zip(series, bar.values, strict=True)))
        for key, value in back_to_front:
            shapes.append(Rect(key.name, layout.left, top, x(value) - x(0), ROW_BAR))
        if mark and bar.mark is not None:
            mark_x, overhang = x(bar.mark), MARK_OVERHANG
            shapes.append(
                Line(
                    mark.name, mark_x, top - overhang, mark_x, top + ROW_BAR + overhang
                )
            )
        if bar.note:
            shapes.append(Text(bar.note, layout.left + span + 2 * GAP, text_y))
        rows.append(Group("bar", shapes, bar.title))
    groups = [*legend(series, mark, layout), Group("axis", axis), *rows]
    height = bottom + layout.bottom
    return Chart(
        chart_id, title, description, layout.width, height, layout.font_size, groups
    )
