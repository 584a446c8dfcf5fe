"""The export kit: one CSV with every table, one XLSX sheet per table."""

import csv
import io

from openpyxl import load_workbook

from cms.reporting.sheets import Sheet, csv_bytes, xlsx_bytes

SHEETS = [
    Sheet(
        "按日", ["日期", "开机率"], [["2025-03-03", 0.375], ["2025-03-04", None]], (1,)
    ),
    Sheet("按主题", ["主题", "已交付"], [["气象", 2]]),
]


def test_csv_puts_a_captioned_title_before_each_table_behind_a_bom():
    data = csv_bytes(SHEETS, "2025-03-03～2025-03-09")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["按日（2025-03-03～2025-03-09）"],
        ["日期", "开机率"],
        ["2025-03-03", "37.5%"],
        ["2025-03-04", ""],
        [],
        ["按主题（2025-03-03～2025-03-09）"],
        ["主题", "已交付"],
        ["气象", "2"],
    ]


def test_xlsx_has_a_sheet_per_table_with_a_bold_header_and_percent_numbers():
    workbook = load_workbook(io.BytesIO(xlsx_bytes(SHEETS)))
    assert workbook.sheetnames == ["按日", "按主题"]
    days = workbook["按日"]
    assert list(days.values) == [
        ("日期", "开机率"),
        ("2025-03-03", 0.375),
        ("2025-03-04", None),
    ]
    assert days["A1"].font.bold and days["B1"].font.bold
    assert days["B2"].number_format == "0.0%"
    assert days.freeze_panes == "B2"
    assert workbook["按主题"]["B2"].number_format == "General"
