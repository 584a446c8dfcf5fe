"""Problems before failure: a placement's check runs when it is planned, when
its item or its outlet changes, and its result shows on the calendar, the
placement list and the dashboard's 渠道异常, where a failed delivery can be
retried."""

from datetime import timedelta

import lxml.html
import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels.models import Placement

SHORT = [("paragraph", "<p>" + "短" * 55 + "</p>")]
LONG_ENOUGH = [("paragraph", "<p>" + "长" * 480 + "</p>")]


@pytest.fixture
def column(make_outlet):
    spec = {"target_chars": 500, "tolerance": 150}
    return make_outlet("newspaper", name="求证·科学", spec=spec)


@pytest.fixture
def planned(make_article, column, make_placement, django_capture_on_commit_callbacks):
    article = make_article(body=SHORT)
    when = timezone.now() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        placement = make_placement(article, column, scheduled_at=when)
    placement.refresh_from_db()
    return placement


def test_a_placement_is_checked_when_planned(planned):
    assert planned.checked_at is not None
    [failure] = planned.check_failures
    assert "不足版面 500±150 字" in failure


def test_an_edit_of_the_item_checks_it_again(
    planned, django_capture_on_commit_callbacks
):
    article = planned.page.specific
    article.body = LONG_ENOUGH
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision()
    planned.refresh_from_db()
    assert planned.check_failures == []


def test_a_change_of_the_outlets_settings_checks_it_again(
    planned, column, django_capture_on_commit_callbacks
):
    column.spec = {"target_chars": 80, "tolerance": 20}
    with django_capture_on_commit_callbacks(execute=True):
        column.save()
    planned.refresh_from_db()
    assert planned.check_failures == []


def test_the_calendar_and_the_list_show_the_problem_before_its_time(
    admin_client, planned
):
    day = timezone.localtime(planned.scheduled_at).date()
    calendar = reverse("channel_calendar:index") + f"?view=week&date={day}"
    tree = lxml.html.fromstring(admin_client.get(calendar).content.decode())
    [chip] = tree.xpath(f"//a[@data-placement='{planned.pk}']")
    assert "kc-chip--failing" in chip.get("class")
    assert "1 个问题需解决" in chip.text_content()
    assert "不足版面" in chip.get("title")
    listing = admin_client.get(reverse("channel_placements:index")).content.decode()
    assert "交付前需解决" in listing and "不足版面" in listing


def test_the_dashboard_lists_failing_checks_and_failed_deliveries(
    admin_client, planned, make_article, column, make_placement
):
    failed = make_placement(make_article(title="台风来了怎么办"), column)
    Placement.objects.filter(pk=failed.pk).update(
        status=Placement.Status.FAILED, error="SFTP 连接被拒绝", attempts=5
    )
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    panel = lxml.html.fromstring(html).xpath("//*[@id='channel-problems-section']")[0]
    text = panel.text_content()
    assert "SFTP 连接被拒绝" in text and "不足版面" in text
    [button] = panel.xpath(".//form//button")
    assert button.text_content().strip() == "重试"


def test_the_dashboards_retry_button_passes_the_csrf_check(
    admin_user, make_article, column, make_placement
):
    failed = make_placement(make_article(), column)
    Placement.objects.filter(pk=failed.pk).update(status=Placement.Status.FAILED)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    html = browser.get(reverse("wagtailadmin_home")).content.decode()
    [form] = lxml.html.fromstring(html).xpath(
        "//*[@id='channel-problems-section']//form"
    )
    fields = dict(form.form_values())
    assert fields["csrfmiddlewaretoken"]
    assert browser.post(form.get("action"), fields).status_code == 302
    failed.refresh_from_db()
    assert failed.status == Placement.Status.PLANNED


def test_retry_plans_a_failed_delivery_again(
    admin_client, make_article, column, make_placement
):
    placement = make_placement(make_article(), column)
    Placement.objects.filter(pk=placement.pk).update(
        status=Placement.Status.FAILED, error="SFTP 连接被拒绝", attempts=5
    )
    url = reverse("channel_placements:retry", args=(placement.pk,))
    response = admin_client.post(url + "?next=/admin/", follow=True)
    assert "已重新排入交付队列" in response.content.decode()
    placement.refresh_from_db()
    assert (placement.status, placement.attempts, placement.error) == ("planned", 0, "")
    assert placement.events.last().note == "重试"
    again = admin_client.post(url, follow=True).content.decode()
    assert "只有失败的排期可以重试" in again


def test_retry_needs_the_change_permission(client, django_user_model, planned):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_placement"),
    )
    client.force_login(viewer)
    Placement.objects.filter(pk=planned.pk).update(status=Placement.Status.FAILED)
    url = reverse("channel_placements:retry", args=(planned.pk,))
    refused = client.post(url, follow=True)  # Wagtail: home, with its message
    assert "没有权限" in refused.content.decode() or refused.status_code == 403
    planned.refresh_from_db()
    assert planned.status == Placement.Status.FAILED
