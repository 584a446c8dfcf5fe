"""A notice placement (a 更正启事, a 撤稿通知) says so on the calendar and on
its placement page, so that nobody takes it for the item going out again."""

from django.urls import reverse
from django.utils import timezone

from channels.advisories import plan_notice
from cms.advisories import Advisory
from tests.channels.helpers import day_cell


def test_notice_placements_are_named_on_the_calendar_and_placement_page(
    admin_client, make_article, make_outlet, make_placement
):
    article = make_article(title="台风来了怎么办")
    paper = make_outlet("newspaper", name="求证·科学")
    # The item and both notices on one day, whatever the time the test runs.
    tomorrow_morning = (timezone.localtime() + timezone.timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    item = make_placement(article, paper, scheduled_at=tomorrow_morning)
    correction = Advisory.objects.create(
        kind="correction", page=article, title=article.title, wrong="三", right="七"
    )
    withdrawal = Advisory.objects.create(
        kind="withdrawal", page=article, title=article.title, reason="撤稿"
    )
    when = item.scheduled_at + timezone.timedelta(hours=1)
    notice = plan_notice(correction, paper, when)
    plan_notice(withdrawal, paper, when + timezone.timedelta(hours=1))

    day = timezone.localdate(when)
    html = admin_client.get(
        reverse("channel_calendar:index"), {"view": "week", "date": f"{day}"}
    ).content.decode()
    cell = day_cell(html, day)
    assert cell.count("kc-chip--notice") == 2
    assert "更正启事：台风来了怎么办" in cell
    assert "撤稿通知：台风来了怎么办" in cell
    assert '<span class="kc-chip-title">台风来了怎么办</span>' in cell  # the item

    page = admin_client.get(
        reverse("channel_placements:inspect", args=(notice.pk,))
    ).content.decode()
    assert "更正启事：台风来了怎么办" in page
    assert "这次排期刊播的不是内容本身" in page
    assert "原文“三”，应为“七”" in page
    plain = admin_client.get(
        reverse("channel_placements:inspect", args=(item.pk,))
    ).content.decode()
    assert "这次排期刊播的不是内容本身" not in plain
