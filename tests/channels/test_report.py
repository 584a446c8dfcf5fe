"""The year-end targets report: figures, constant queries, exports, admin page."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from channels.models import Placement
from channels.reports import report_sheets, targets_report
from cms.snippets import Audience, Topic

BEIJING = ZoneInfo("Asia/Shanghai")
YEAR = 2025
REPORT_QUERIES = 10  # outlets, months, audiences + 3 models, topics + 3 models
D, F, P, R = "delivered", "failed", "planned", "rendered"


def beijing(month: int, day: int, hour: int = 9, minute: int = 0, year: int = YEAR):
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def place(page, outlet, when, status: str) -> Placement:
    """Placements in the past with any status: load data for the report, so
    the scheduling checks of Placement.clean() are not run."""
    return Placement.objects.create(
        page=page, outlet=outlet, scheduled_at=when, status=status
    )


@pytest.fixture
def outlets(make_outlet):
    return {
        "paper": make_outlet("newspaper", name="《求证·科学》", annual_target=30),
        "radio": make_outlet("radio", name="科学五分钟", spec={"slot_seconds": 300}),
        "idle": make_outlet("newspaper", name="停刊栏目", active=False),
        "closed": make_outlet("newspaper", name="已停用栏目", active=False),
    }


@pytest.fixture
def known_year(outlets, make_article, make_episode):
    """《求证·科学》: 18 delivered (Jan 3, Mar 5, Dec 10), 1 failed (Mar), 2 not
    yet delivered (Dec); 科学五分钟: 2 delivered episodes (Jun), 1 rendered
    (Jul), 1 delivered article for 老年人 and 农民 (Jun); one placement of the
    inactive 已停用栏目; placements just outside the year in Beijing time."""
    article = make_article()  # 公共卫生; 老年人
    both = make_article(title="冬季防一氧化碳中毒")
    both.audiences.add(Audience.objects.get(slug="farmers"))
    both.save()  # a ParentalManyToManyField writes its rows on save
    episode = make_episode(1)
    weather = Topic.objects.create(name="气象", slug="weather")
    episode.topics.add(weather)
    episode.audiences.add(Audience.objects.get(slug="youth"))
    episode.save()
    Topic.objects.create(name="地震", slug="earthquake")  # nothing delivered
    paper, radio = outlets["paper"], outlets["radio"]
    for month, days, status in ((1, 3, D), (3, 5, D), (12, 10, D), (3, 1, F)):
        for day in range(1, days + 1):
            place(article, paper, beijing(month, day + 10 * (status == F)), status)
    place(article, paper, beijing(12, 20), P)
    place(article, paper, beijing(12, 31, 23, 30), R)  # 15:30 UTC: still 2025
    place(article, paper, beijing(1, 1, 0, 30, year=YEAR + 1), D)  # 2025 in UTC
    place(article, paper, beijing(12, 31, 23, 59, year=YEAR - 1), D)
    place(episode, radio, beijing(6, 5), D)
    place(episode, radio, beijing(6, 12), D)
    place(episode, radio, beijing(7, 3), R)
    place(both, radio, beijing(6, 19), D)
    place(article, outlets["closed"], beijing(5, 1), D)


def lines_of(report) -> dict:
    return {line.name: line for line in report.outlets}


def test_outlet_totals_against_the_annual_target(known_year):
    report = targets_report(YEAR)
    lines = lines_of(report)
    paper = lines["《求证·科学》"]
    assert (paper.target, paper.counts.planned, paper.counts.delivered) == (30, 21, 18)
    assert (paper.counts.failed, paper.counts.pending, paper.percent) == (1, 2, 60)
    radio = lines["科学五分钟"]
    assert (radio.counts.planned, radio.counts.delivered, radio.percent) == (4, 3, None)
    assert lines["已停用栏目"].counts.delivered == 1  # inactive, but it had placements
    assert "停刊栏目" not in lines  # inactive and idle
    total = report.total
    assert (total.target, total.counts.planned, total.counts.delivered) == (30, 26, 22)
    assert total.percent == 60  # only outlets with a target count toward it


def test_months_follow_beijing_time(known_year):
    paper = lines_of(targets_report(YEAR))["《求证·科学》"]
    delivered = [month.delivered for month in paper.months]
    planned = [month.planned for month in paper.months]
    assert delivered == [3, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 10]
    assert planned == [3, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 12]
    next_year = lines_of(targets_report(YEAR + 1))["《求证·科学》"]
    assert next_year.counts.delivered == 1  # 2026-01-01 00:30 in Beijing


def test_delivered_placements_count_for_each_audience_and_topic(known_year):
    report = targets_report(YEAR)
    audiences = {share.name: share.delivered for share in report.audiences}
    assert audiences == {
        "青少年": 2,
        "农民": 1,
        "产业工人": 0,
        "老年人": 18 + 1 + 1,  # 《求证·科学》, the two-audience article, 已停用栏目
        "领导干部和公务员": 0,
    }
    topics = [(share.name, share.delivered) for share in report.topics]
    assert topics == [("公共卫生", 20), ("气象", 2)]  # 地震: nothing delivered


def test_a_future_placement_is_planned_not_delivered(
    outlets, make_article, make_placement
):
    placement = make_placement(make_article(), outlets["paper"])
    year = placement.scheduled_at.astimezone(BEIJING).year
    counts = lines_of(targets_report(year))["《求证·科学》"].counts
    assert (counts.planned, counts.delivered, counts.pending) == (1, 0, 1)


def add_placements(page, outlet, count: int, start: int = 0) -> None:
    statuses = (D, D, F, P)
    Placement.objects.bulk_create(
        Placement(
            page=page,
            outlet=outlet,
            scheduled_at=beijing(1, 1) + timedelta(hours=n),
            status=statuses[n % len(statuses)],
        )
        for n in range(start, start + count)
    )


def test_report_queries_do_not_grow_with_placements(
    outlets, make_article, make_episode, django_assert_num_queries
):
    article, episode = make_article(), make_episode(1)
    add_placements(article, outlets["paper"], 5)
    with django_assert_num_queries(REPORT_QUERIES):
        small = targets_report(YEAR)
    add_placements(article, outlets["paper"], 500, start=5)
    add_placements(episode, outlets["radio"], 500)
    with django_assert_num_queries(REPORT_QUERIES):
        large = targets_report(YEAR)
    assert small.total.counts.planned == 5
    assert large.total.counts.planned == 1005
    assert large.audiences[3].delivered == 253  # 老年人: the article's delivered


def test_csv_export_opens_in_excel_with_chinese_headers(known_year, admin_client):
    response = admin_client.get("/admin/channels/report/export.csv?year=2025")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["渠道目标（2025）"]
    assert rows[1][:5] == ["渠道账号/栏目", "所属媒体/机构", "渠道", "年度目标", "计划"]
    assert rows[2][:9] == [
        "《求证·科学》",
        "吉林日报",
        "报纸",
        "30",
        "21",
        "18",
        "1",
        "2",
        "60",
    ]
    titles = [row[0] for row in rows if len(row) == 1]
    assert titles == [
        "渠道目标（2025）",
        "按月（2025）",
        "按人群（2025）",
        "按主题（2025）",
    ]


def test_xlsx_export_has_the_four_sheets_with_the_figures(known_year, admin_client):
    response = admin_client.get("/admin/channels/report/export.xlsx?year=2025")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["渠道目标", "按月", "按人群", "按主题"]
    targets = list(workbook["渠道目标"].values)
    assert targets[1][:9] == ("《求证·科学》", "吉林日报", "报纸", 30, 21, 18, 1, 2, 60)
    assert targets[-1][0] == "合计" and targets[-1][5] == 22
    months = list(workbook["按月"].values)
    assert months[0][2:4] == ("1月", "2月") and months[0][-1] == "全年"
    assert months[2] == ("《求证·科学》", "已交付", 3, 0, 5, *[0] * 8, 10, 18)
    assert ("老年人", 20) in list(workbook["按人群"].values)
    assert list(workbook["按主题"].values)[1:] == [("公共卫生", 20), ("气象", 2)]


def test_sheets_match_the_report(known_year):
    sheets = report_sheets(targets_report(YEAR))
    assert [sheet.title for sheet in sheets] == ["渠道目标", "按月", "按人群", "按主题"]
    assert all(len(row) == len(sheet.header) for sheet in sheets for row in sheet.rows)


def test_admin_page_shows_the_report_and_accessible_charts(known_year, admin_client):
    response = admin_client.get("/admin/channels/report/?year=2025")
    assert response.status_code == 200
    html = response.content.decode()
    assert "年度目标与统计" in html
    assert html.count('<svg class="report-chart"') == 2
    assert 'role="img"' in html and '<desc id="target-chart-desc">' in html
    assert "2025 年各渠道已交付与年度目标</title>" in html
    assert "18 / 30（60%）" in html
    assert "73%" not in html  # the total counts only outlets with a target
    assert "当年刊播时间内的全部排期" in html  # what 计划 means
    assert '<option value="2025" selected>' in html


def test_admin_page_defaults_to_the_current_year_in_beijing(admin_client, outlets):
    response = admin_client.get("/admin/channels/report/?year=nonsense")
    year = timezone.now().astimezone(BEIJING).year
    assert response.context["report"].year == year


def test_report_queries_per_request_do_not_grow(outlets, make_article, admin_client):
    article = make_article()
    add_placements(article, outlets["paper"], 10)
    admin_client.get("/admin/channels/report/?year=2025")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/admin/channels/report/?year=2025").status_code
        return len(captured)

    before = queries()
    add_placements(article, outlets["paper"], 1000, start=10)
    assert queries() == before


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for url in (
        "/admin/channels/report/",
        "/admin/channels/report/export.csv",
        "/admin/channels/report/export.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_editors_without_placement_permissions_are_refused(client, db):
    user = User.objects.create_user("guest", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    response = client.get("/admin/channels/report/export.csv")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_unknown_export_format_is_not_found(admin_client):
    assert admin_client.get("/admin/channels/report/export.pdf").status_code == 404


def test_the_channels_menu_links_to_the_report(admin_client):
    assert "/admin/channels/report/" in admin_client.get("/admin/").content.decode()
