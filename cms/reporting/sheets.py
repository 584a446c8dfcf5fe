"""A report's tables as exported. A Sheet is a title, a header and rows of
cells (str, int, float, or None for an empty cell); a list of sheets becomes
one CSV file or one XLSX workbook:

- CSV: every table in one file, a line "<title>（<caption>）" before each and an
  empty line between them, UTF-8 with a BOM so that Excel reads the Chinese
  right; percentage columns written as text (37.5%).
- XLSX: a worksheet per table, named after it, the header in bold and frozen
  with the first column; percentage columns stay numbers shown as 0.0%.

Plain Python over openpyxl."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

PERCENT_FORMAT = "0.0%"
FIRST_COLUMN_WIDTH = 24


@dataclass(frozen=True)
class Sheet:
    title: str
    header: list[str]
    rows: list[list]
    percent_columns: tuple[int, ...] = ()  # 0-based; cells are rates 0…1


def percent_text(rate: float) -> str:
    """A rate 0…1 as the pages and the CSV show it: 37.5%."""
    return f"{rate * 100:.1f}%"


def csv_cell(value, is_percent: bool):
    if value is None:
        return ""
    return percent_text(value) if is_percent else value


def csv_bytes(sheets: Sequence[Sheet], caption: str) -> bytes:
    """The caption says what the figures cover (a year, a period)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, sheet in enumerate(sheets):
        if index:
            writer.writerow([])
        writer.writerow([f"{sheet.title}（{caption}）"])
        writer.writerow([str(title) for title in sheet.header])
        for row in sheet.rows:
            writer.writerow(
                [csv_cell(v, n in sheet.percent_columns) for n, v in enumerate(row)]
            )
    return buffer.getvalue().encode("utf-8-sig")


def fill_worksheet(worksheet: Worksheet, sheet: Sheet) -> None:
    worksheet.append([str(title) for title in sheet.header])
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        worksheet.append(row)
        for column in sheet.percent_columns:
            cell = worksheet.cell(worksheet.max_row, column + 1)
            cell.number_format = PERCENT_FORMAT
    worksheet.column_dimensions["A"].width = FIRST_COLUMN_WIDTH
    worksheet.freeze_panes = "B2"


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in sheets:
        fill_worksheet(workbook.create_sheet(sheet.title), sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
