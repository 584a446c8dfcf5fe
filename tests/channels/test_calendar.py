"""The editorial calendar: month, week and day views, busy days, filters,
theme days, cadence gaps, constant queries, and rescheduling by drag and
drop."""

import json
import re
from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels.calendar import period_of
from channels.models import Placement
from channels.registry import channel_colour
from cms.snippets import Audience, Campaign, Topic
from tests.channels.helpers import day_cell

CALENDAR = reverse("channel_calendar:index")


def next_month() -> date:
    """The first of next month: every day of it is in the future."""
    today = timezone.localdate()
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)


def at(day: date, hour: int = 7, minute: int = 30) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def move_url(placement) -> str:
    return reverse("channel_calendar:move", args=(placement.pk,))


@pytest.fixture
def newspaper(make_outlet):
    return make_outlet("newspaper", name="求证·科学")


@pytest.fixture
def radio(make_outlet):
    return make_outlet("radio", name="科学五分钟")


@pytest.fixture
def month(make_article, make_episode, newspaper, radio, make_placement):
    """An article in the paper and an episode on the radio, next month."""
    first = next_month()
    article = make_article(title="疫苗是怎样起作用的")
    episode = make_episode(1, title="台风来了怎么办")
    return {
        "first": first,
        "article": make_placement(article, newspaper, at(first + timedelta(9))),
        "episode": make_placement(episode, radio, at(first + timedelta(11), 18)),
    }


def test_month_view_shows_placements_coloured_by_channel_and_theme_days(
    admin_client, month
):
    first = month["first"]
    Campaign.objects.create(
        name="防灾减灾日",
        slug="fangzai",
        start_date=first + timedelta(9),
        end_date=first + timedelta(11),
    )
    html = admin_client.get(f"{CALENDAR}?date={first}").content.decode()

    assert f"{first.year}年{first.month}月" in html
    article_day = day_cell(html, first + timedelta(9))
    assert "疫苗是怎样起作用的" in article_day
    assert "07:30" in article_day and "求证·科学" in article_day
    assert f"--chip: {channel_colour('newspaper')}" in article_day
    radio_day = day_cell(html, first + timedelta(11))
    assert "台风来了怎么办" in radio_day and "18:30" in radio_day
    assert f"--chip: {channel_colour('radio')}" in radio_day

    for offset in (9, 10, 11):
        assert "kc-band" in day_cell(html, first + timedelta(offset))
    assert "防灾减灾日" in day_cell(html, first + timedelta(9))  # named where it starts
    assert "kc-band" not in day_cell(html, first + timedelta(12))


def test_week_view_shows_the_seven_days_of_the_placement(admin_client, month):
    day = month["first"] + timedelta(9)
    html = admin_client.get(f"{CALENDAR}?view=week&date={day}").content.decode()
    period = period_of("week", day)
    assert f"{period.start:%Y-%m-%d} 至 {period.end - timedelta(1):%Y-%m-%d}" in html
    assert html.count('data-date="') == 7
    assert "疫苗是怎样起作用的" in day_cell(html, day)


def test_filters_narrow_the_placements(admin_client, month, newspaper):
    first = month["first"]
    article = month["article"].page.specific
    campaign = Campaign.objects.create(
        name="全国科普日", slug="kepuri", start_date=first, end_date=first
    )
    article.campaign = campaign
    article.save()
    child = Topic.objects.create(
        name="疫苗", slug="vaccines", parent=article.topics.get()
    )
    elderly = Audience.objects.get(slug="elderly")
    base = f"{CALENDAR}?date={first}"

    def shown(query: str) -> set[str]:
        html = admin_client.get(f"{base}&{query}").content.decode()
        return {t for t in ("疫苗是怎样起作用的", "台风来了怎么办") if t in html}

    both = {"疫苗是怎样起作用的", "台风来了怎么办"}
    assert shown("") == both
    assert shown("channel=radio") == {"台风来了怎么办"}
    assert shown(f"outlet={newspaper.pk}") == {"疫苗是怎样起作用的"}
    assert shown(f"topic={article.topics.get().pk}") == {"疫苗是怎样起作用的"}
    assert shown(f"topic={child.pk}") == set()
    assert shown(f"audience={elderly.pk}") == {"疫苗是怎样起作用的"}
    assert shown(f"campaign={campaign.pk}") == {"疫苗是怎样起作用的"}
    assert shown("topic=not-a-number") == both


def test_a_weekly_outlet_with_a_missing_week_is_warned(
    admin_client, make_article, make_outlet, make_placement
):
    thursdays = [
        d for d in period_of("month", next_month()).days if d.isoweekday() == 4
    ]
    outlet = make_outlet(name="求证·科学", cadence="weekly", cadence_weekdays=[4])
    make_outlet(name="停刊的栏目", cadence="daily", active=False)
    article = make_article()
    missing = thursdays[2]
    for thursday in thursdays:
        if thursday != missing:
            make_placement(article, outlet, at(thursday))

    html = admin_client.get(f"{CALENDAR}?date={next_month()}").content.decode()
    assert "求证·科学 缺期" in day_cell(html, missing)
    assert html.count("求证·科学 缺期") == 1
    assert "停刊的栏目" not in html.split("kc-grid", 1)[1]


def test_no_gap_is_warned_in_the_past(admin_client, make_outlet):
    make_outlet(name="每日科普", cadence="daily")
    yesterday = timezone.localdate() - timedelta(1)
    tomorrow = timezone.localdate() + timedelta(1)

    def week_of(day: date) -> str:
        return admin_client.get(f"{CALENDAR}?view=week&date={day}").content.decode()

    # Two requests: on a Sunday, yesterday and tomorrow are in different weeks.
    assert "每日科普 缺期" not in day_cell(week_of(yesterday), yesterday)
    assert "每日科普 缺期" in day_cell(week_of(tomorrow), tomorrow)


@pytest.fixture
def many_placements(make_article, make_episode, newspaper, radio):
    pages = [make_article(title=f"文章{n}", slug=f"a{n}") for n in range(3)]
    pages += [make_episode(n) for n in (1, 2)]
    outlets = [newspaper, radio]
    first = next_month()

    def make(count: int) -> None:
        Placement.objects.all().delete()
        Placement.objects.bulk_create(
            Placement(
                page=pages[n % len(pages)],
                outlet=outlets[n % 2],
                scheduled_at=at(first + timedelta(n % 28), 6 + n % 12, n % 60),
            )
            for n in range(count)
        )

    return make


def test_calendar_queries_stay_constant_with_the_number_of_placements(
    admin_client, many_placements, django_assert_max_num_queries
):
    url = f"{CALENDAR}?date={next_month()}"
    admin_client.get(url)  # warm up caches (content types, site)
    counts = []
    for size in (5, 50):
        many_placements(size)
        with django_assert_max_num_queries(30) as captured:
            html = admin_client.get(url).content.decode()
        assert f"共 {size} 条排期" in html
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.fixture
def busy_day(make_article, newspaper, radio):
    """Six placements on one day next month, the 07:00 one failed; a seventh
    on the radio at 20:00."""
    day = next_month() + timedelta(4)
    pages = [make_article(title=f"第{n}篇", slug=f"busy{n}") for n in range(7)]
    Placement.objects.bulk_create(
        Placement(
            page=pages[n],
            outlet=newspaper if n < 6 else radio,
            scheduled_at=at(day, 6 + n if n < 6 else 20, 0),
            status=Placement.Status.FAILED if n == 1 else Placement.Status.PLANNED,
        )
        for n in range(7)
    )
    return day


def chip_titles(cell: str) -> list[str]:
    return re.findall(r'class="kc-chip-title">([^<]*)<', cell)


def test_a_busy_day_of_the_month_shows_its_first_chips_and_links_to_the_rest(
    admin_client, busy_day
):
    html = admin_client.get(f"{CALENDAR}?date={busy_day}").content.decode()
    cell = day_cell(html, busy_day)
    assert chip_titles(cell) == ["第0篇", "第1篇", "第2篇", "第3篇"]
    assert "kc-chip--failed" in cell  # the problem marker stays on its chip
    more = re.search(r'class="kc-more" href="([^"]*)">\+3 更多<', cell)
    assert more is not None
    assert "共 7 条排期" in html

    day_view = admin_client.get(CALENDAR + more.group(1).replace("&amp;", "&")).content
    cell = day_cell(day_view.decode(), busy_day)
    assert chip_titles(cell) == [f"第{n}篇" for n in range(7)]
    assert "kc-more" not in cell
    assert day_view.decode().count('data-date="') == 1


def test_the_more_link_keeps_the_filters(admin_client, busy_day, newspaper):
    query = f"date={busy_day}&outlet={newspaper.pk}"
    cell = day_cell(admin_client.get(f"{CALENDAR}?{query}").content.decode(), busy_day)
    more = re.search(r'class="kc-more" href="([^"]*)">\+2 更多<', cell)
    assert more is not None
    day_view = admin_client.get(
        CALENDAR + more.group(1).replace("&amp;", "&")
    ).content.decode()
    assert chip_titles(day_cell(day_view, busy_day)) == [f"第{n}篇" for n in range(6)]


def test_the_day_view_pages_by_day(admin_client, busy_day):
    html = admin_client.get(f"{CALENDAR}?view=day&date={busy_day}").content.decode()
    assert f"{busy_day:%Y-%m-%d}" in html
    assert f"date={busy_day + timedelta(1):%Y-%m-%d}" in html
    assert f"date={busy_day - timedelta(1):%Y-%m-%d}" in html


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "2026-02-30", "x"])
def test_a_date_the_calendar_cannot_show_falls_back_to_today(admin_client, value):
    for view in ("month", "week", "day"):
        response = admin_client.get(f"{CALENDAR}?view={view}&date={value}")
        assert response.status_code == 200
        assert response.context["calendar"].period.anchor == timezone.localdate()


def test_an_empty_day_opens_the_form_with_the_date(admin_client, newspaper):
    day = next_month() + timedelta(3)
    html = admin_client.get(
        f"{CALENDAR}?date={day}&outlet={newspaper.pk}"
    ).content.decode()
    link = re.search(r'data-add-url="([^"]+)"', day_cell(html, day)).group(1)
    form = admin_client.get(link.replace("&amp;", "&")).content.decode()
    assert f"{day:%Y-%m-%d} 09:00" in form
    assert f'<option value="{newspaper.pk}" selected>' in form


def test_dragging_to_another_day_keeps_the_time_and_records_the_move(
    admin_client, admin_user, month
):
    placement = month["article"]
    target = month["first"] + timedelta(12)
    response = admin_client.post(
        move_url(placement), {"date": str(target)}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["time"] == "07:30"
    placement.refresh_from_db()
    assert placement.scheduled_at == at(target)
    event = placement.events.get()
    assert event.user == admin_user
    assert event.note.startswith("改期：")
    assert f"→ {target:%Y-%m-%d} 07:30" in event.note


def test_a_move_off_the_outlets_days_asks_why_and_records_the_reason(
    admin_client, month
):
    placement = month["article"]
    placement.outlet.cadence_weekdays = [2]  # Tuesdays only
    placement.outlet.save()
    start = month["first"] + timedelta(12)
    wednesday = start + timedelta((3 - start.isoweekday()) % 7)
    body = {"date": str(wednesday)}
    asked = admin_client.post(move_url(placement), body, "application/json")
    assert asked.status_code == 409
    question = asked.json()["confirm"]
    assert (
        "「求证·科学」的刊播日是周二" in question and "（周三）不是刊播日" in question
    )
    placement.refresh_from_db()
    assert placement.scheduled_at == at(month["first"] + timedelta(9))

    body["reason"] = "  周二版面让给防灾减灾日专版 "
    moved = admin_client.post(move_url(placement), body, "application/json")
    assert moved.status_code == 200
    placement.refresh_from_db()
    assert placement.scheduled_at == at(wednesday)
    note = placement.events.get().note
    assert note.endswith("（不在刊播日，原因：周二版面让给防灾减灾日专版）")


def test_dragging_to_a_past_day_is_refused(admin_client, month):
    placement = month["article"]
    yesterday = timezone.localdate() - timedelta(1)
    response = admin_client.post(
        move_url(placement), {"date": str(yesterday)}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "刊播时间已经过去"
    placement.refresh_from_db()
    assert placement.scheduled_at == at(month["first"] + timedelta(9))


def test_dragging_onto_the_same_item_and_outlet_at_that_time_is_refused(
    admin_client, month, make_placement
):
    placement = month["article"]
    target = month["first"] + timedelta(14)
    make_placement(placement.page, placement.outlet, at(target))
    response = admin_client.post(
        move_url(placement), {"date": str(target)}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "该内容已在这个渠道的同一时间排期"


def test_a_delivered_placement_cannot_be_moved(admin_client, month):
    placement = month["article"]
    Placement.objects.filter(pk=placement.pk).update(status="delivered")
    response = admin_client.post(
        move_url(placement),
        {"date": str(month["first"] + timedelta(12))},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "不能改期" in response.json()["error"]


def test_moving_needs_a_logged_in_editor_and_a_csrf_token(client, admin_user, month):
    placement = month["article"]
    body = json.dumps({"date": str(month["first"] + timedelta(12))})
    ajax = {
        "content_type": "application/json",
        "HTTP_X_REQUESTED_WITH": "XMLHttpRequest",
    }
    assert client.post(move_url(placement), body, **ajax).status_code == 403

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post(move_url(placement), body, **ajax).status_code == 403

    placement.refresh_from_db()
    assert placement.scheduled_at == at(month["first"] + timedelta(9))
    assert not placement.events.exists()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"date": "明天"}, "date 应为日期，如 2026-01-01"),
        ({"date": "2026-02-30"}, "date 应为日期，如 2026-01-01"),
        ({"date": "0001-01-01"}, "date 应在 2000-01-01 到 2100-12-31 之间"),
        ({"date": "2026-03-01", "time": "09:00"}, "请求体 含有未知字段：time"),
        ("[" * 8000 + "]" * 8000, "请求体超过 1024 字节"),
        ("[" * 500 + "]" * 500, "JSON 嵌套超过 32 层"),
    ],
)
def test_a_bad_date_is_a_400(admin_client, month, body, error):
    data = body if isinstance(body, str) else json.dumps(body)
    response = admin_client.post(
        move_url(month["article"]), data, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == error
