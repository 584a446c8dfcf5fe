"""Partners report their own figures (partners.figures): a good request is
saved and taken into the ledger as imported; one bad row and nothing is
saved, every bad row named; sending the same again changes nothing; only
items the key's feeds carried, from the day they did."""

from datetime import timedelta

import pytest
from django.utils import timezone

from partners.models import ApiKey, ReportedFigure
from reach.daily import write_ledger
from reach.models import ReachRecord

pytestmark = pytest.mark.django_db
FIGURES = "/api/partner/figures/"


@pytest.fixture
def carried(make_feed, partner, make_article):
    feed = make_feed("mine", access="partner")
    article = make_article()
    clear = ApiKey.issue(partner, [feed])[1]
    return article, {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


def post(client, headers, *rows):
    return client.post(
        FIGURES, {"figures": list(rows)}, content_type="application/json", **headers
    )


def test_figures_are_saved_once_and_go_into_the_ledger_as_imported(
    client, carried, partner
):
    article, headers = carried
    today = timezone.localdate().isoformat()
    rows = [
        {"id": article.pk, "date": today, "metric": "reads", "value": 1500},
        {"id": article.pk, "date": today, "metric": "shares", "value": 12},
    ]
    answer = post(client, headers, *rows)
    assert answer.status_code == 200 and answer.json() == {"saved": 2}
    assert post(client, headers, *rows).status_code == 200  # sent twice
    assert ReportedFigure.objects.count() == 2
    write_ledger(timezone.now())
    reads = ReachRecord.objects.get(metric="reads")
    assert (reads.value, reads.method, reads.channel) == (1500, "imported", "partner")
    assert "吉林日报" in reads.source and reads.organisation_id == partner.owner_id
    rows[0]["value"] = 1600  # a correction of its own figure
    post(client, headers, rows[0])
    write_ledger(timezone.now())
    assert ReachRecord.objects.get(metric="reads").value == 1600
    assert ReachRecord.objects.filter(method="imported").count() == 2


def test_one_bad_row_and_nothing_is_saved_each_named(
    client, carried, make_article, articles_index
):
    article, headers = carried
    today = timezone.localdate()
    good = {"id": article.pk, "date": today.isoformat(), "metric": "reads", "value": 9}
    answer = post(
        client,
        headers,
        good,
        {"id": 999_999, "date": today.isoformat(), "metric": "reads", "value": 1},
        {**good, "date": (today + timedelta(days=1)).isoformat()},
        {**good, "date": (today - timedelta(days=30)).isoformat()},
        {**good, "date": "2026/12/01"},
        {**good, "metric": "views"},
        {**good, "value": -3},
        {**good, "value": 5_000_000_000},
        {**good, "value": "1,500"},
        good,
        "a row",
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["detail"] == "10 行不合格，未保存任何数据"
    reasons = {row["row"]: row["reason"] for row in body["rejected"]}
    assert "从未包含条目 999999" in reasons[2]
    assert "晚于今天" in reasons[3]
    assert "才进入订阅源" in reasons[4]
    assert "YYYY-MM-DD" in reasons[5]
    assert "未知指标「views」" in reasons[6]
    assert "非负整数" in reasons[7] and "不合常理" in reasons[8]
    assert "非负整数" in reasons[9]
    assert reasons[10] == "与第 1 行重复"
    assert "应为对象" in reasons[11]
    assert 1 not in reasons
    assert not ReportedFigure.objects.exists()


def test_a_key_is_needed_and_an_empty_report_is_refused(client, carried):
    article, headers = carried
    row = {"id": article.pk, "date": "2026-01-01", "metric": "reads", "value": 1}
    assert post(client, {}, row).status_code == 401
    answer = client.post(FIGURES, {}, content_type="application/json", **headers)
    assert answer.status_code == 400 and "figures" in answer.json()
