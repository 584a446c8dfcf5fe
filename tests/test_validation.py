"""Bad input in the page editor: a clear Chinese message on the field, nothing saved."""

import pytest
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    rich_text,
    streamfield,
)

from cms.pages import ArticlePage


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "pw")
    client.force_login(admin)
    return client


def article_form(expert, **overrides):
    data = {
        "title": "地震来了怎么办",
        "slug": "dizhen",
        "standfirst": "伏地、遮挡、手抓牢。",
        "author": "王林",
        "source_credit": "省地震局",
        "reviewing_expert": expert.pk,
        "body": streamfield([("paragraph", rich_text("<p>保持冷静。</p>"))]),
        "comments": inline_formset([]),
        **overrides,
    }
    return nested_form_data(data)


def create(admin_client, parent, data):
    url = reverse("wagtailadmin_pages:add", args=("cms", "articlepage", parent.pk))
    return admin_client.post(url, data)


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def test_valid_article_is_saved_as_a_draft(admin_client, articles_index, expert):
    response = create(admin_client, articles_index, article_form(expert))
    assert response.status_code == 302
    page = ArticlePage.objects.get(slug="dizhen")
    assert not page.live


def test_missing_reviewing_expert_is_named_in_chinese(
    admin_client, articles_index, expert
):
    response = create(
        admin_client, articles_index, article_form(expert, reviewing_expert="")
    )
    assert response.status_code == 200
    assert field_errors(response, "reviewing_expert") == ["请选择审核专家"]
    assert not ArticlePage.objects.exists()


def test_duplicate_slug_is_refused_in_chinese(admin_client, articles_index, expert):
    create(admin_client, articles_index, article_form(expert))
    response = create(
        admin_client, articles_index, article_form(expert, title="另一篇")
    )
    assert response.status_code == 200
    assert field_errors(response, "slug") == ["网址别名“dizhen”已被同级页面使用。"]
    assert ArticlePage.objects.count() == 1


def test_expiry_before_go_live_is_refused_in_chinese(
    admin_client, articles_index, expert
):
    data = article_form(
        expert, go_live_at="2026-12-01 10:00", expire_at="2026-11-30 10:00"
    )
    response = create(admin_client, articles_index, data)
    assert response.status_code == 200
    errors = field_errors(response, "expire_at") + field_errors(response, "go_live_at")
    assert errors and all(any("\u4e00" <= c <= "\u9fff" for c in e) for e in errors)
    assert not Page.objects.filter(slug="dizhen").exists()
