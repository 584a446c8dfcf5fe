"""The editorial calendar in real Chromium: drag a placement to another day."""

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from channels.calendar import period_of
from cms.snippets import Campaign
from tests.browser import log_in

SCREENSHOT = Path("/tmp/calendar.png")


def at(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_editor_drags_a_placement_onto_the_day_its_column_was_missing(
    live_server, browser, make_article, make_episode, make_outlet, make_placement
):
    User.objects.create_superuser("zongbian", "zongbian@example.org", "pw")
    today = timezone.localdate()
    first = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    month = [d for d in period_of("month", first).days if d.month == first.month]
    thursdays = [d for d in month if d.isoweekday() == 4]
    wednesdays = [d for d in month if d.isoweekday() == 3]
    paper = make_outlet(name="求证·科学", cadence="weekly", cadence_weekdays=[4])
    radio = make_outlet(
        "radio", name="科学五分钟", cadence="weekly", cadence_weekdays=[3]
    )
    Campaign.objects.create(
        name="全国防灾减灾宣传周",
        slug="fangzai",
        start_date=thursdays[1] - timedelta(1),
        end_date=thursdays[1] + timedelta(5),
    )
    titles = ("流感季如何保护老人", "地震来了怎么办")
    for day, title in zip(thursdays[:2], titles, strict=True):
        make_placement(make_article(title=title, slug=title), paper, at(day, 7, 30))
    for n, day in enumerate(wednesdays[:3], start=1):
        make_placement(make_episode(n), radio, at(day, 18))
    missing = thursdays[2]
    article = make_article(title="疫苗是怎样起作用的")
    moving = make_placement(article, paper, at(missing - timedelta(2), 7, 30))

    page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1250})
    log_in(page, live_server.url, "zongbian")

    page.goto(f"{live_server.url}/admin/channels/calendar/?date={first}")
    target = page.locator(f".kc-day[data-date='{missing}']")
    assert "求证·科学 缺期" in target.inner_text()
    chip = page.locator(f".kc-chip[data-placement='{moving.pk}']")
    chip.drag_to(target)
    message = page.locator("[data-calendar-message]")
    message.wait_for(state="visible")
    assert f"已改期到 {missing:%Y-%m-%d} 07:30" in message.inner_text()
    # The grid is redrawn: the chip is on its new day and the gap is filled.
    target.locator(".kc-gap").wait_for(state="detached")
    assert target.locator(f".kc-chip[data-placement='{moving.pk}']").count() == 1
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    moving.refresh_from_db()
    assert timezone.localtime(moving.scheduled_at) == at(missing, 7, 30)
    assert moving.events.get().user.username == "zongbian"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_drag_off_the_columns_day_asks_why_and_a_refusal_leaves_it(
    live_server, browser, make_article, make_outlet, make_placement
):
    User.objects.create_superuser("zongbian", "zongbian@example.org", "pw")
    first = (timezone.localdate().replace(day=28) + timedelta(days=4)).replace(day=1)
    month = [d for d in period_of("month", first).days if d.month == first.month]
    tuesday = next(d for d in month if d.isoweekday() == 2)
    paper = make_outlet(name="求证·科学", cadence="weekly", cadence_weekdays=[2])
    moving = make_placement(make_article(), paper, at(tuesday, 7, 30))
    wednesday = tuesday + timedelta(1)

    page = browser.new_page(locale="zh-CN", viewport={"width": 1400, "height": 1250})
    log_in(page, live_server.url, "zongbian")
    page.goto(f"{live_server.url}/admin/channels/calendar/?date={first}")
    chip = page.locator(f".kc-chip[data-placement='{moving.pk}']")
    target = page.locator(f".kc-day[data-date='{wednesday}']")
    message = page.locator("[data-calendar-message]")
    questions = []

    def answer(reply):
        def handle(dialog):
            questions.append(dialog.message)
            dialog.accept(reply) if reply else dialog.dismiss()

        return handle

    page.once("dialog", answer(""))
    chip.drag_to(target)
    message.wait_for(state="visible")
    assert "没有写明原因，未改期" in message.inner_text()
    assert "的刊播日是周二" in questions[0]
    moving.refresh_from_db()
    assert timezone.localtime(moving.scheduled_at) == at(tuesday, 7, 30)

    page.once("dialog", answer("周二版面让给专版"))
    chip.drag_to(target)
    page.wait_for_function(
        "document.querySelector('[data-calendar-message]').textContent.includes('已改期')"
    )
    moving.refresh_from_db()
    assert timezone.localtime(moving.scheduled_at) == at(wednesday, 7, 30)
    assert moving.events.get().note.endswith("（不在刊播日，原因：周二版面让给专版）")
