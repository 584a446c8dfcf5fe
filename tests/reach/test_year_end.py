"""The year-end 考核 report (reach.year_end): the command and the admin
make the PDF (CJK fonts embedded, the figures in it), the XLSX and the CSV;
its reach figures are the ledger's, counted, imported and estimated apart;
outlets against their targets; a county gets its own branch."""

import io
import subprocess
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from channels.models import Placement
from reach import rollups
from reach.ledger import record
from reach.models import ReachRecord
from reach.reports import Ledger, Period
from tests.organisation_fixtures import staff_of
from tests.reach.conftest import YEAR

pytestmark = pytest.mark.django_db


def run(*command) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def column(records, make_outlet, make_placement, org_tree):
    """A newspaper column of 农安 with a target of 4, one issue out in March."""
    outlet = make_outlet(
        "newspaper", name="科普农安", annual_target=4, owner=org_tree["nongan"]
    )
    placement = make_placement(records, outlet)
    Placement.objects.filter(pk=placement.pk).update(
        scheduled_at=timezone.make_aware(timezone.datetime(YEAR, 3, 9, 9)),
        status=Placement.Status.DELIVERED,
        delivered_at=timezone.make_aware(timezone.datetime(YEAR, 3, 9, 9)),
    )
    return outlet


def reach_sums(**filters) -> dict[str, int]:
    rows = ReachRecord.objects.filter(
        day__year=YEAR, metric__in=["reads", "plays", "downloads", "people"], **filters
    )
    sums = rows.values("method").annotate(n=Sum("value")).order_by()
    return {row["method"]: row["n"] for row in sums}


def test_the_command_writes_the_pdf_with_its_figures_and_fonts(
    column, tmp_path, org_tree
):
    output = tmp_path / "report.pdf"
    call_command(
        "reach_report", year=YEAR, format="pdf", output=output, stdout=io.StringIO()
    )
    assert output.read_bytes().startswith(b"%PDF")
    text = "".join(run("pdftotext", str(output), "-").split())
    assert f"吉林省科协{YEAR}年度科普传播考核报告" in text
    sums = reach_sums()
    for figure in (sums["counted"], sums["imported"], sums["estimated"]):
        assert f"{figure:,}" in text
    assert "科普农安" in text and "25%" in text  # 1 of its 4 issues
    assert "另有1项估算缺少依据" in text
    fonts = run("pdffonts", str(output))
    assert "NotoSansCJK" in fonts.replace("-", "") or "Noto-Sans-CJK" in fonts


def test_the_workbook_reconciles_with_the_ledger(column, tmp_path):
    output = tmp_path / "report.xlsx"
    call_command(
        "reach_report", year=YEAR, format="xlsx", output=output, stdout=io.StringIO()
    )
    book = load_workbook(output)
    assert book.sheetnames[:4] == [
        "传播量按渠道",
        "传播量按月",
        "传播量按单位",
        "刊播期数与年度目标",
    ]
    rows = list(book["传播量按渠道"].iter_rows(values_only=True))
    total = next(row for row in rows if row[0] == "合计")
    sums = reach_sums()
    assert total[1:4] == (sums["counted"], sums["imported"], sums["estimated"])
    assert "/admin/reach/records/?year=" in total[-1]
    newspaper = next(row for row in rows if row[0] == "报纸")
    assert newspaper[1:4] == (0, 0, reach_sums(channel="newspaper")["estimated"])
    targets = list(book["刊播期数与年度目标"].iter_rows(values_only=True))
    assert ("科普农安", "报纸", 4, 1, 0.25) == targets[1][:5]


def test_a_branch_report_and_bad_arguments(column, tmp_path, org_tree):
    output = tmp_path / "report.csv"
    call_command(
        "reach_report",
        year=YEAR,
        org=org_tree["nongan"].pk,
        format="csv",
        output=output,
        stdout=io.StringIO(),
    )
    text = output.read_text(encoding="utf-8-sig")
    assert "农安县科协" in text and "松原市科协" not in text
    with pytest.raises(CommandError, match="没有 id 为 999999 的单位"):
        call_command("reach_report", year=YEAR, org=999999, output=output)


def test_the_admin_page_shows_and_downloads_the_report(column, client, org_tree):
    client.force_login(staff_of(org_tree["nongan"]))
    page = client.get(reverse("reach_year_end:index"), {"year": YEAR})
    assert page.status_code == 200
    preview = client.get(
        reverse("reach_year_end:preview"),
        {"year": YEAR, "organisation": org_tree["province"].pk},  # not theirs
    )
    assert "农安县科协" in preview.content.decode()
    assert "吉林省科协 " not in preview.content.decode()
    pdf = client.get(reverse("reach_year_end:download", args=("pdf",)), {"year": YEAR})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert (
        client.get(reverse("reach_year_end:download", args=("doc",))).status_code == 404
    )


def test_an_outlets_reach_beside_its_issues_against_its_target(column, org_tree):
    record(
        "placement-estimate",
        page=Placement.objects.get(outlet=column).page,
        channel="newspaper",
        outlet=column,
        organisation=org_tree["nongan"],
        day=date(YEAR, 3, 9),
        metric="people",
        method="estimated",
        value=50_000,
        source="《科普农安》：发行量核验",
        confidence="medium",
    )
    rollups.refresh()
    lines = Ledger(org_tree["province"], Period(YEAR)).by_outlet()
    (line,) = [line for line in lines if line.label == "科普农安"]
    assert line.figures.estimated == 50_000 and line.figures.counted == 0
    assert line.issues == "已交付 1 期 / 年度目标 4 期"
    march = Ledger(org_tree["province"], Period(YEAR, 4)).by_outlet()
    assert "科普农安" not in [line.label for line in march]
