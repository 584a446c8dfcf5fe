"""The 开机率/使用率 dashboard in the admin: the page, drill-down, offline
rows, CSV/XLSX exports, permissions, constant queries, and a player's
heartbeat and play arriving through the API and showing up."""

import csv
import io
import json
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from screens.minutes import period_of
from screens.models import Heartbeat, PlaylistItem, PlayRecord, Screen
from screens.reports import screen_report

BEIJING = ZoneInfo("Asia/Shanghai")
MONDAY = date(2025, 3, 3)
URL = "/admin/big-screen/reports/"
DAY_QUERY = "?period=day&date=2025-03-03"
EVERY_DAY = [{"days": [1, 2, 3, 4, 5, 6, 7], "start": "08:00", "end": "20:00"}]


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def beat(screen: Screen, start: datetime, count: int) -> None:
    Heartbeat.objects.bulk_create(
        Heartbeat(screen=screen, minute=start + timedelta(minutes=n))
        for n in range(count)
    )


def play(screen: Screen, item: PlaylistItem, start: datetime, seconds: float) -> None:
    PlayRecord.objects.create(
        play_id=uuid.uuid4(),
        screen=screen,
        item=item,
        page_id=item.page_id,
        campaign_id=item.campaign_id,
        started_at=start,
        seconds=seconds,
    )


@pytest.fixture
def monday(screen_tree, make_article, campaign):
    """广场屏 on 75% / 50% on Monday 2025-03-03, 车站屏 never seen."""
    card = PlaylistItem.objects.create(
        group=screen_tree.province,
        kind="card",
        page=make_article(title="秋季防火"),
        campaign=campaign,
    )
    square = Screen.objects.create(
        group=screen_tree.site,
        name="广场屏",
        opening_hours=EVERY_DAY,
        paired_at=at(0, day=date(2025, 1, 1)),
        last_seen_at=timezone.now(),
    )
    station = Screen.objects.create(
        group=screen_tree.other_site,
        name="车站屏",
        opening_hours=EVERY_DAY,
        paired_at=at(0, day=date(2025, 1, 1)),
    )
    beat(square, at(8), 540)
    beat(square, at(20), 60)
    for n in range(27):
        play(square, card, at(9, n * 2), 600)
    return square, station, card


def test_dashboard_shows_totals_chart_tree_and_plays(monday, admin_client):
    response = admin_client.get(URL + DAY_QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "开机率/使用率" in html
    assert '<svg class="report-chart"' in html and 'role="img"' in html
    assert "2025-03-03 开机率 37.5%，使用率 50.0%" in html  # the chart's day
    assert f"{DAY_QUERY.replace('&', '&amp;')}&amp;group=" in html  # drill-down
    assert "吉林省" in html and "秋季防火" in html and "全国科普日" in html
    assert response.context["total"].uptime == 540 / 1440
    assert response.context["report"].online == 1


def test_drill_down_to_a_site_lists_its_screens_and_highlights_offline(
    monday, admin_client, screen_tree
):
    url = f"{URL}{DAY_QUERY}&group={screen_tree.other_site.pk}"
    html = admin_client.get(url).content.decode()
    assert '<tr class="screen offline">' in html
    assert "车站屏" in html and "广场屏" not in html
    assert "从未" in html
    square = admin_client.get(f"{URL}{DAY_QUERY}&group={screen_tree.site.pk}")
    assert '<tr class="screen">' in square.content.decode()
    assert "75.0%" in square.content.decode()


def test_unknown_group_is_not_found(admin_client, db):
    assert admin_client.get(URL + "?group=999999").status_code == 404
    assert admin_client.get(URL + "?group=abc").status_code == 404


def test_no_period_or_date_shows_this_week(admin_client, db):
    response = admin_client.get(URL)
    period = response.context["period"]
    assert period.kind == "week"
    assert period.first <= timezone.localdate() <= period.last


@pytest.mark.parametrize(
    "query, message",
    [
        ("?date=0001-01-01", "日期应在 2000-01-01 至 2099-12-31 之间"),
        ("?period=month&date=9999-12-31", "日期应在 2000-01-01 至 2099-12-31 之间"),
        ("?period=day&date=nonsense", "日期格式应为 YYYY-MM-DD"),
        ("?period=day&date=2026-02-30", "日期格式应为 YYYY-MM-DD"),
        ("?period=year&date=2026-03-01", "周期只能是日、周或月"),
    ],
)
def test_a_period_or_date_out_of_range_is_refused_with_a_message(
    admin_client, db, query, message
):
    page = admin_client.get(URL + query)
    assert page.status_code == 400
    assert message in page.content.decode()
    export = admin_client.get(URL + "export.xlsx" + query)
    assert export.status_code == 400
    assert message in export.content.decode()


def test_csv_export_has_every_table_with_chinese_headers(monday, admin_client):
    response = admin_client.get(URL + "export.csv" + DAY_QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    titles = [row[0] for row in rows if len(row) == 1]
    assert titles == [
        f"{name}（2025-03-03）"
        for name in ("按层级", "分组", "大屏", "按日", "播放项", "主题活动")
    ]
    screens = rows[rows.index(["大屏（2025-03-03）"]) + 1 :]
    assert screens[0][:5] == ["大屏", "分组", "位置", "最近心跳", "离线超过10分钟"]
    assert screens[1][4:] == ["否", "720", "540", "0", "270.0", "75.0%", "50.0%"]
    assert screens[2][0] == "车站屏" and screens[2][4] == "是"
    assert screens[2][-2:] == ["0.0%", ""]  # never on: no 使用率


def test_xlsx_export_has_a_sheet_per_table_with_numbers(monday, admin_client):
    response = admin_client.get(URL + "export.xlsx" + DAY_QUERY)
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "按层级",
        "分组",
        "大屏",
        "按日",
        "播放项",
        "主题活动",
    ]
    groups = list(workbook["分组"].values)
    assert groups[0] == (
        "层级",
        "分组",
        "大屏数",
        "离线超过10分钟",
        "开放分钟",
        "开机分钟",
        "迟报分钟",
        "播放分钟",
        "开机率",
        "使用率",
    )
    assert [row[1].strip("\u3000") for row in groups[1:]] == [
        "吉林省",
        "长春市",
        "农安县",
        "村文化广场",
        "火车站候车厅",
    ]
    assert groups[4][2:] == (1, 0, 720, 540, 0, 270, 0.75, 0.5)
    assert workbook["分组"]["I5"].number_format == "0.0%"
    assert list(workbook["按日"].values)[1] == (
        "2025-03-03",
        1440,
        540,
        0,
        270,
        0.375,
        0.5,
    )
    items = list(workbook["播放项"].values)
    assert items[1] == ("秋季防火", "文章卡片", "省·吉林省", 27, 270, 1)
    campaigns = list(workbook["主题活动"].values)
    assert campaigns[1] == ("全国科普日", "2026-09-15～2026-09-21", 27, 270, 1)


def test_unknown_export_format_is_not_found(admin_client):
    assert admin_client.get(URL + "export.pdf").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for url in (URL, URL + "export.csv", URL + "export.xlsx"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def admin_user(*codenames: str) -> User:
    user = User.objects.create_user(f"user{len(codenames)}", password="pw")
    for codename in ("access_admin", *codenames):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def test_users_without_a_permission_on_screens_are_refused(client, db):
    client.force_login(admin_user())
    response = client.get(URL + "export.csv")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert URL not in client.get("/admin/").content.decode()


def test_users_who_may_view_screens_read_the_dashboard(client, monday):
    from tests.organisation_fixtures import join_root_organisation

    user = admin_user("view_screen")
    client.force_login(user)
    # Of no organisation: no screens of theirs to report on.
    assert client.get(URL + DAY_QUERY).status_code == 404
    join_root_organisation(user)
    assert client.get(URL + DAY_QUERY).status_code == 200
    assert URL in client.get("/admin/").content.decode()


def test_dashboard_queries_do_not_grow_with_screens(
    monday, admin_client, screen_tree, make_screen_group
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(URL + DAY_QUERY).status_code == 200
        return len(captured)

    queries()
    before = queries()
    square, _station, card = monday
    for n in range(20):
        group = make_screen_group(f"站点{n}", 4, screen_tree.county)
        screen = Screen.objects.create(group=group, name=f"屏{n}", opening_hours=[])
        beat(screen, at(9), 3)
        play(screen, card, at(9), 30)
    assert queries() == before


# A player's heartbeat and play, through the API, on the dashboard ----------------


def post(client, url: str, body: dict, headers: dict):
    return client.post(
        url, json.dumps(body), content_type="application/json", **headers
    )


def test_a_players_heartbeat_and_play_show_up_on_the_dashboard(
    client, admin_client, paired_screen, screen_tree, screen_image
):
    screen = paired_screen.screen
    Screen.objects.filter(pk=screen.pk).update(opening_hours=[])  # always open
    poster = PlaylistItem.objects.create(
        group=screen_tree.site, kind="image", image=screen_image, title="防灾海报"
    )
    headers = paired_screen.headers
    heartbeat = {"version": "v1", "playing": poster.pk}
    assert (
        post(client, "/api/screens/heartbeat/", heartbeat, headers).status_code == 204
    )
    played = {
        "id": str(uuid.uuid4()),
        "item": poster.pk,
        "started_at": timezone.localtime().isoformat(),
        "seconds": 30,
    }
    answer = post(client, "/api/screens/plays/", {"plays": [played]}, headers)
    assert answer.json() == {"stored": 1, "duplicates": 0}

    today = timezone.localdate().isoformat()
    response = admin_client.get(f"{URL}?period=day&date={today}")
    (line,) = response.context["report"].screens
    assert line.minutes.on == 1 and line.minutes.played == 0.5
    assert not line.offline
    html = response.content.decode()
    assert "防灾海报" in html
    assert "50.0%" in html  # 使用率: half a minute played in the minute on
    report = screen_report(period_of("day", timezone.localdate()))
    assert report.total.usage == 0.5
