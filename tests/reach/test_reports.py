"""Reach reports (reach.reports and the admin's 传播量报告): counted,
imported and estimated reach in their own columns, never added together;
missing estimates counted apart; every line's figures reconciled with the
records its trace link lists; each organisation sees its own branch."""

import csv
import io
from datetime import date
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from django.db.models import Sum
from django.urls import reverse

from cms.organisations import root_organisation
from cms.pages import ArticlePage
from reach.models import ReachRecord
from reach.reports import Ledger, Period
from tests.organisation_fixtures import staff_of
from tests.reach.conftest import YEAR

pytestmark = pytest.mark.django_db


def test_the_methods_stay_apart_and_missing_estimates_are_counted(records, org_tree):
    province = Ledger(org_tree["province"], Period(YEAR))
    figures = province.total()
    assert (figures.counted, figures.imported, figures.estimated) == (
        1577,
        12_000,
        125_120,
    )
    assert figures.missing == 1 and figures.engagement == 830  # seconds are not reach
    channels = {line.label: line.figures for line in province.by_channel()}
    assert channels["报纸"].estimated == 125_000 and channels["报纸"].counted == 0
    assert channels["科普大屏"].counted == 300 and channels["科普大屏"].estimated == 120


def test_a_branch_and_a_month(records, org_tree):
    changchun = Ledger(org_tree["changchun"], Period(YEAR))
    assert changchun.total().counted == 500  # 农安 200 + 合隆 300, not 松原
    march = Ledger(org_tree["province"], Period(YEAR, 3)).total()
    assert (march.counted, march.imported, march.estimated) == (200, 12_000, 125_000)
    months = Ledger(org_tree["province"], Period(YEAR)).by_month()
    assert [line.figures.counted for line in months][:6] == [1000, 0, 200, 0, 300, 77]
    lines = changchun.by_organisation()
    assert [(line.label, line.depth) for line in lines] == [
        ("长春市科协", 0),
        ("农安县科协", 1),
        ("合隆镇", 2),
        ("德惠市科协", 1),
    ]


def test_each_line_reconciles_with_the_records_its_link_lists(
    records, admin_client, org_tree
):
    url = reverse("reach_report:index")
    page = admin_client.get(url, {"year": YEAR, "by": "channel"})
    assert page.status_code == 200
    tree = lxml.html.fromstring(page.content.decode())
    for row in tree.xpath("//table[contains(@class,'reach-table')]/tbody/tr"):
        label = row.xpath("./th")[0].text_content().strip()
        counted = int(row.xpath("./td")[0].text_content().replace(",", ""))
        link = row.xpath(".//a[text()='记录']/@href")[0]
        assert admin_client.get(link).status_code == 200, label
        (channel,) = parse_qs(urlsplit(link).query)["channel"]
        expected = (
            ReachRecord.objects.filter(
                channel=channel,
                method="counted",
                metric__in=["reads", "plays", "downloads"],
                day__year=YEAR,
            ).aggregate(n=Sum("value"))["n"]
            or 0
        )
        assert counted == expected, label


def test_a_county_sees_its_own_branch_only(records, client, org_tree):
    client.force_login(staff_of(org_tree["nongan"]))
    page = client.get(
        reverse("reach_report:index"),
        {"year": YEAR, "organisation": org_tree["province"].pk},
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "农安县科协" in text and "12,000" in text
    assert "1,000" not in text and "125,000" not in text
    listing = client.get(reverse("reach_records:index"), {"year": YEAR})
    tree = lxml.html.fromstring(listing.content.decode())
    assert (
        len(tree.xpath("//table[contains(@class,'listing')]/tbody/tr")) == 6
    )  # 农安's three, 合隆's three


def test_the_export_has_the_same_figures(records, admin_client):
    answer = admin_client.get(
        reverse("reach_report:export", args=("csv",)), {"year": YEAR, "by": "channel"}
    )
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header = rows[1]
    assert header[:4] == ["项目", "统计触达", "导入触达", "估算触达"]
    totals = rows[-1]
    assert totals[:4] == ["合计", "1577", "12000", "125120"]


def test_by_campaign_and_audience(records, campaign, admin_client):
    article = records  # the fixture's item, for 老年人
    ArticlePage.objects.filter(pk=article.pk).update(campaign=campaign)
    province = Ledger(root_organisation(), Period(YEAR))
    (line,) = province.by_campaign()
    assert line.label == campaign.name and line.figures.counted == 1577
    (line,) = province.by_audience()
    assert line.label == "老年人" and line.figures.imported == 12_000
    listing = admin_client.get(
        reverse("reach_records:index"), {**line.trace, "year": YEAR}
    )
    tree = lxml.html.fromstring(listing.content.decode())
    assert len(tree.xpath("//table[contains(@class,'listing')]/tbody/tr")) == 10


def test_the_record_list_costs_the_same_queries_for_more_rows(
    records, admin_client, make_outlet, org_tree
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reach.ledger import record

    url = reverse("reach_records:index")

    def queries() -> int:
        admin_client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for number in range(20):
        record(
            f"more-{number}",
            page=records,
            channel="newspaper",
            outlet=make_outlet("newspaper", name=f"栏目{number}"),
            organisation=org_tree["nongan"],
            day=date(YEAR, 5, 1),
            metric="people",
            method="estimated",
            value=None,
            source="测试",
            confidence="low",
        )
    assert queries() == before
    assert "栏目7" in admin_client.get(url).content.decode()
