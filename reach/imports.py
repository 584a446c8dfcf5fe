"""Importing a short-video account's figures from its platform's creator-
centre export (CSV in UTF-8 or GBK, or XLSX), mapped by the platform's
columns (reach.platform_exports), or typed in for one post.

Checking comes first and saves nothing: the file is identified from its
bytes, its header found, and each row is matched to a post we made (by the
post's id or link, else by its exact title) and its figures read ("1.2万"
and "12,345" as the apps show them). Each row is accepted — as new, an
update, or unchanged — or rejected with its reason, all shown before
anything is saved. Figures in an export are running totals as of its day:
each post keeps one figure per metric, replaced by a later export, dated
on the day the post went out (so a year's report counts the posts that
year); an export older than the figures held is refused, and importing the
same file again changes nothing."""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit
from zipfile import BadZipFile

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from channels.models import Outlet, Placement
from channels.short_video.posts import POSTING
from reach import rollups
from reach.ledger import record
from reach.models import ReachRecord
from reach.platform_exports import EXPORT_COLUMNS

CHANNEL = "short_video"
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
ABSURD = 10_000_000_000  # 百亿 for one post is a typing error
UNITS = {"万": 10_000, "亿": 100_000_000}
HEADER_SEARCH_ROWS = 5
ZIP_MAGIC = b"PK\x03\x04"
KEYS_PER_QUERY = 500


class BadFile(ValueError):
    """Why a file cannot be read at all, in Chinese."""


@dataclass
class ImportRow:
    number: int  # the row's line in the file
    label: str  # the post as the file names it
    post: Placement | None = None
    figures: dict[str, int] = field(default_factory=dict)
    problem: str = ""
    outcome: str = ""  # new, updated, unchanged


@dataclass
class ImportCheck:
    outlet: Outlet
    as_of: date
    file_name: str
    metrics: list[str]  # the figures the file gives, in ledger metrics
    ignored: list[str]  # columns not read
    rows: list[ImportRow]

    @property
    def accepted(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.problem]

    @property
    def rejected(self) -> list[ImportRow]:
        return [row for row in self.rows if row.problem]

    def count(self, outcome: str) -> int:
        return sum(row.outcome == outcome for row in self.accepted)


# Reading the file -------------------------------------------------------------


def table_of(data: bytes) -> list[list[str]]:
    if len(data) > MAX_BYTES:
        raise BadFile(_("文件超过 5 MB，请按月分开导出"))
    if data.startswith(ZIP_MAGIC):
        return xlsx_rows(data)
    if b"\x00" in data[:4096]:
        raise BadFile(_("文件既不是 CSV 也不是 XLSX 表格"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Some platforms export tab-separated text under a .csv name.
        head = text[:4096]
        delimiter = "\t" if head.count("\t") > head.count(",") else ","
        rows = csv.reader(io.StringIO(text), delimiter=delimiter)
        return [[cell.strip() for cell in row] for row in rows]
    raise BadFile(_("CSV 文件既不是 UTF-8 也不是 GBK 编码"))


def xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        raise BadFile(_("XLSX 文件无法打开：%(error)s") % {"error": error}) from None
    sheet = book.worksheets[0]
    rows = [
        ["" if cell is None else str(cell).strip() for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    book.close()
    return rows


def plain(header: str) -> str:
    return re.sub(r"\s+", "", header).lower()


@dataclass(frozen=True)
class Header:
    line: int  # 0-based
    post: int | None
    title: int | None
    metrics: dict[str, int]  # metric → column
    ignored: list[str]


def header_of(table: list[list[str]], platform: str) -> Header:
    """The first row naming the post (or its title) and a figure; a title
    line or two above it (an export's caption) is passed over."""
    columns = EXPORT_COLUMNS[platform]

    def find(row, names):
        wanted = {plain(name) for name in names}
        return next((n for n, cell in enumerate(row) if plain(cell) in wanted), None)

    for line, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        metrics = {
            metric: column
            for metric, names in columns.metrics.items()
            if (column := find(row, names)) is not None
        }
        post, title = find(row, columns.post), find(row, columns.title)
        if metrics and (post is not None or title is not None):
            used = {post, title, *metrics.values()}
            ignored = [cell for n, cell in enumerate(row) if n not in used and cell]
            return Header(line, post, title, metrics, ignored)
    names = "、".join(
        (*columns.post[:2], *columns.title[:1], *columns.metrics["plays"])
    )
    raise BadFile(
        _("找不到%(platform)s导出文件的表头（应含 %(names)s 等列）")
        % {"platform": POSTING[platform].label, "names": names}
    )


def figure_of(text: str) -> int | None:
    """A figure as the apps show it: 12,345 or 1.2万; None when empty or "-";
    ValueError when it is not a figure or below zero."""
    text = text.replace(",", "").replace("，", "").replace(" ", "")
    if text in ("", "-", "--"):
        return None
    unit = UNITS.get(text[-1], 1)
    number = text[:-1] if unit > 1 else text
    try:
        value = Decimal(number) * unit
    except InvalidOperation:
        raise ValueError(_("「%(text)s」不是数字") % {"text": text}) from None
    if value < 0:
        raise ValueError(_("数值不能为负（%(text)s）") % {"text": text})
    if value >= ABSURD:
        raise ValueError(_("数值 %(text)s 不合常理，请核对") % {"text": text})
    return int(value)


# Matching posts -----------------------------------------------------------------


def tokens_of(text: str) -> set[str]:
    """What identifies a post in an id or a link: the last segment of the
    link's path (…/video/7301…, BV…, a short link's code)."""
    text = text.strip()
    if "://" in text:
        text = next(
            (part for part in reversed(urlsplit(text).path.split("/")) if part), ""
        )
    return {text} if text else set()


class Posts:
    """The account's posts (delivered, with the address the operator
    recorded), found by id, link or exact title."""

    def __init__(self, outlet: Outlet) -> None:
        self.posts = list(
            Placement.objects.filter(
                outlet=outlet, status=Placement.Status.DELIVERED, advisory=None
            )
            .exclude(post_address="")
            .select_related("page")
        )
        self.by_token: dict[str, Placement] = {}
        self.by_title: dict[str, list[Placement]] = {}
        for post in self.posts:
            for token in tokens_of(post.post_address):
                self.by_token[token] = post
            self.by_title.setdefault(post.page.title.strip(), []).append(post)

    def find(self, post_text: str, title: str) -> Placement | str:
        for token in tokens_of(post_text):
            if token in self.by_token:
                return self.by_token[token]
        same_title = self.by_title.get(title.strip(), [])
        if len(same_title) == 1:
            return same_title[0]
        if len(same_title) > 1:
            return _("标题「%(title)s」对应多条作品，请用含作品 ID 或链接的导出") % {
                "title": title
            }
        return _("找不到这条作品的发布记录（%(post)s）：请先在待发布中登记作品地址") % {
            "post": post_text or title
        }


# Checking ----------------------------------------------------------------------


def figure_key(post: Placement, metric: str) -> str:
    return f"{CHANNEL}:{post.pk}:{metric}"


def held_figures(
    posts: list[Placement], metrics: list[str]
) -> dict[tuple[int, str], ReachRecord]:
    keys = [figure_key(post, metric) for post in posts for metric in metrics]
    held = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        for row in ReachRecord.objects.filter(
            key__in=keys[start : start + KEYS_PER_QUERY]
        ):
            held[(row.inputs["post"], row.metric)] = row
    return held


def judge(row: ImportRow, held: dict, as_of: date) -> None:
    """new, updated or unchanged against the figures held; or refused when
    those are newer than this file's."""
    outcomes = set()
    for metric, value in row.figures.items():
        existing = held.get((row.post.pk, metric))
        if existing is None:
            outcomes.add("new")
            continue
        existing_as_of = date.fromisoformat(existing.inputs["as_of"])
        if existing_as_of > as_of:
            row.problem = _("已导入截至 %(day)s 的数据，比本文件新") % {
                "day": existing_as_of
            }
            return
        outcomes.add("unchanged" if existing.value == value else "updated")
    row.outcome = (
        "new"
        if outcomes == {"new"}
        else "updated"
        if outcomes - {"unchanged"}
        else "unchanged"
    )


def check_rows(
    outlet: Outlet, as_of: date, file_name: str, rows: list[ImportRow], metrics, ignored
) -> ImportCheck:
    if as_of > timezone.localdate():
        raise BadFile(_("数据截至日期 %(day)s 晚于今天") % {"day": as_of})
    seen: dict[int, int] = {}
    for row in rows:
        if row.problem:
            continue
        if not row.figures:
            row.problem = _("这一行没有任何数据")
        elif row.post.pk in seen:
            row.problem = _("与第 %(row)s 行是同一条作品") % {"row": seen[row.post.pk]}
        else:
            seen[row.post.pk] = row.number
    held = held_figures([row.post for row in rows if row.post is not None], metrics)
    for row in rows:
        if not row.problem:
            judge(row, held, as_of)
    return ImportCheck(outlet, as_of, file_name, metrics, ignored, rows)


def check_file(outlet: Outlet, as_of: date, file_name: str, data: bytes) -> ImportCheck:
    platform = outlet.parsed_spec.platform
    table = table_of(data)
    header = header_of(table, platform)
    body = table[header.line + 1 :]
    if len(body) > MAX_ROWS:
        raise BadFile(_("文件超过 %(most)s 行，请按月分开导出") % {"most": MAX_ROWS})
    posts = Posts(outlet)
    rows = []
    for offset, cells in enumerate(body):
        if not any(cells):
            continue
        rows.append(read_row(header, cells, header.line + offset + 2, posts))
    if not rows:
        raise BadFile(_("表头下面没有数据行"))
    return check_rows(
        outlet, as_of, file_name, rows, list(header.metrics), header.ignored
    )


def cell(cells: list[str], column: int | None) -> str:
    return cells[column] if column is not None and column < len(cells) else ""


def read_row(header: Header, cells: list[str], number: int, posts: Posts) -> ImportRow:
    post_text, title = cell(cells, header.post), cell(cells, header.title)
    row = ImportRow(number, post_text or title)
    found = posts.find(post_text, title)
    if isinstance(found, str):
        row.problem = found
        return row
    row.post = found
    for metric, column in header.metrics.items():
        try:
            value = figure_of(cell(cells, column))
        except ValueError as problem:
            row.problem = str(problem)
            return row
        if value is not None:
            row.figures[metric] = value
    return row


def check_typed(
    post: Placement, as_of: date, figures: dict[str, int | None]
) -> ImportCheck:
    """Figures typed in for one post, checked as an import row."""
    row = ImportRow(1, post.post_address, post=post)
    row.figures = {
        metric: value for metric, value in figures.items() if value is not None
    }
    return check_rows(post.outlet, as_of, "", [row], list(row.figures), [])


# Saving --------------------------------------------------------------------------


@transaction.atomic
def save_import(check: ImportCheck) -> int:
    """The accepted rows' figures into the ledger; how many rows changed."""
    platform = POSTING[check.outlet.parsed_spec.platform].label
    source = (
        _("%(platform)s创作者中心导出《%(file)s》")
        % {"platform": platform, "file": check.file_name}
        if check.file_name
        else _("%(platform)s后台数据，手工录入") % {"platform": platform}
    )
    changed = 0
    for row in check.accepted:
        if row.outcome == "unchanged":
            continue
        changed += 1
        for metric, value in row.figures.items():
            record(
                figure_key(row.post, metric),
                page_id=row.post.page_id,
                channel=CHANNEL,
                outlet=check.outlet,
                organisation_id=check.outlet.owner_id,
                day=timezone.localdate(row.post.posted_at or row.post.scheduled_at),
                metric=metric,
                method=ReachRecord.Method.IMPORTED,
                value=value,
                source=source,
                confidence=ReachRecord.Confidence.MEDIUM,
                inputs={
                    "post": row.post.pk,
                    "address": row.post.post_address,
                    "as_of": check.as_of.isoformat(),
                    "row": row.number,
                },
            )
    rollups.refresh()
    return changed
