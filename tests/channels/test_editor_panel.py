"""The page editor's 渠道 side panel: for every outlet the item is planned
on, the figures counted from the form as typed, against the outlet's target,
and the problems its check finds."""

from datetime import timedelta

import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import Placement
from tests.channels.helpers import article_edit_form

ROWS = ".//article[contains(@class, 'channel-figures__outlet')]"
SHORT = [("paragraph", "<p>" + "短" * 55 + "</p>")]


@pytest.fixture
def column(make_outlet):
    spec = {"target_chars": 500, "tolerance": 150}
    return make_outlet("newspaper", name="求证·科学", spec=spec)


@pytest.fixture
def slot(make_outlet):
    spec = {"slot_seconds": 60, "chars_per_minute": 240}
    return make_outlet("radio", name="科普早班车", spec=spec)


@pytest.fixture
def article(make_article, column, slot, make_placement):
    article = make_article(body=SHORT)
    soon = timezone.now() + timedelta(days=2)
    make_placement(article, column, scheduled_at=soon)
    make_placement(article, column, scheduled_at=soon + timedelta(days=7))
    make_placement(article, slot, scheduled_at=soon + timedelta(days=1))
    return article


def panel_of(html: str):
    return lxml.html.fromstring(html).xpath("//*[@data-channel-figures]")[0]


def outlets(panel) -> dict[str, str]:
    return {
        row.xpath(".//h3")[0].text.strip(): row.text_content()
        for row in panel.xpath(ROWS)
    }


def figure(row, label: str) -> str:
    [value] = row.xpath(f".//dt[.='{label}']/following-sibling::dd[1]/text()")
    return value.strip()


def figures(admin_client, article, body: str):
    url = reverse("channel_figures", args=[article.pk])
    response = admin_client.post(url, article_edit_form(article, body))
    assert response.status_code == 200
    return lxml.html.fromstring(response.content.decode())


def test_the_edit_view_shows_each_planned_outlet_once_with_its_check(
    admin_client, article
):
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[article.pk]))
    html = response.content.decode()
    shown = outlets(panel_of(html))
    assert list(shown) == ["求证·科学", "科普早班车"]  # by the next time, once each
    assert "不足版面 500±150 字" in shown["求证·科学"]
    assert "约 1 分钟" in shown["求证·科学"]  # 55 字 at 400 a minute
    assert "符合渠道要求" in shown["科普早班车"]
    toggle = lxml.html.fromstring(html).xpath(
        '//*[@data-side-panel-toggle="channels"]//*[@data-side-panel-toggle-counter]'
    )[0]
    assert toggle.text_content().strip() == "1"  # one outlet fails its check
    assert "channels/editor_panel.js" in html


def test_figures_are_counted_from_the_form_as_typed_not_the_saved_item(
    admin_client, article
):
    answer = figures(admin_client, article, "长" * 480)
    [row] = [r for r in answer.xpath(ROWS) if "求证" in r.text_content()]
    assert int(figure(row, "字数")) >= 480  # the standfirst counts too
    assert figure(row, "阅读时间") == "约 1 分钟"
    assert "符合渠道要求" in row.text_content()
    [radio] = [r for r in answer.xpath(ROWS) if "早班车" in r.text_content()]
    assert "超出 60 秒的时段" in radio.text_content()  # 480 字 at 240 a minute
    assert answer.xpath("//@data-channel-figures-failing") == ["1"]
    article.refresh_from_db()
    assert "长" not in str(article.get_latest_revision_as_object().body)


def test_a_form_that_does_not_validate_counts_the_saved_version_and_says_so(
    admin_client, article
):
    url = reverse("channel_figures", args=[article.pk])
    form = article_edit_form(article, "长" * 480)
    form["reviewing_expert"] = "999999"  # no such expert
    answer = lxml.html.fromstring(admin_client.post(url, form).content.decode())
    assert "按上次保存的版本计算" in answer.text_content()
    assert "不足版面 500±150 字" in answer.text_content()


def test_delivered_and_cancelled_placements_are_not_planned(admin_client, article):
    Placement.objects.filter(outlet__channel="radio").update(
        status=Placement.Status.DELIVERED
    )
    answer = figures(admin_client, article, "短" * 55)
    assert [h.text.strip() for h in answer.xpath("//h3")] == ["求证·科学"]


def test_an_item_not_yet_planned_says_where_to_plan_it(admin_client, make_article):
    article = make_article(body=SHORT)
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[article.pk]))
    panel = panel_of(response.content.decode())
    assert "尚未排期" in panel.text_content()
    assert panel.xpath(".//a")[0].get("href") == reverse("channel_calendar:index")


def test_only_editors_of_the_page_may_post_to_it(client, article, django_user_model):
    outsider = django_user_model.objects.create_user("visitor", password="pw")
    client.force_login(outsider)
    url = reverse("channel_figures", args=[article.pk])
    response = client.post(url, article_edit_form(article, "长"))
    assert response.status_code in (302, 403)


def test_the_add_views_hydration_teleports_no_channels_panel(admin_client, article):
    """Once the add view's autosave has created the page, Wagtail hydrates the
    add view from the edit view's partials: the add view has no channels
    panel to teleport into (a console error in the browser)."""
    url = reverse("wagtailadmin_pages:edit", args=[article.pk])
    hydration = admin_client.get(url, {"_w_hydrate_create_view": "1"})
    assert hydration.status_code == 200
    html = hydration.content.decode()
    assert "[data-side-panel='preview']" in html  # Wagtail's own are there
    assert "[data-side-panel='channels']" not in html
