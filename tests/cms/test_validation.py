"""Bad input in the page editor: a clear Chinese message on the field, nothing saved."""

from django.urls import reverse
from wagtail.models import Page

from cms.pages import ArticlePage


def create(admin_client, parent, data):
    url = reverse("wagtailadmin_pages:add", args=("cms", "articlepage", parent.pk))
    return admin_client.post(url, data)


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def test_valid_article_is_saved_as_a_draft(admin_client, articles_index, article_form):
    response = create(admin_client, articles_index, article_form())
    assert response.status_code == 302
    page = ArticlePage.objects.get(slug="dizhen")
    assert not page.live


def test_missing_reviewing_expert_is_named_in_chinese(
    admin_client, articles_index, article_form
):
    response = create(admin_client, articles_index, article_form(reviewing_expert=""))
    assert response.status_code == 200
    assert field_errors(response, "reviewing_expert") == ["请选择审核专家"]
    assert not ArticlePage.objects.exists()


def test_duplicate_slug_is_refused_in_chinese(
    admin_client, articles_index, article_form
):
    create(admin_client, articles_index, article_form())
    response = create(admin_client, articles_index, article_form(title="另一篇"))
    assert response.status_code == 200
    assert field_errors(response, "slug") == ["网址别名“dizhen”已被同级页面使用。"]
    assert ArticlePage.objects.count() == 1


def test_expiry_before_go_live_is_refused_in_chinese(
    admin_client, articles_index, article_form
):
    data = article_form(go_live_at="2026-12-01 10:00", expire_at="2026-11-30 10:00")
    response = create(admin_client, articles_index, data)
    assert response.status_code == 200
    errors = field_errors(response, "expire_at") + field_errors(response, "go_live_at")
    assert errors and all(any("\u4e00" <= c <= "\u9fff" for c in e) for e in errors)
    assert not Page.objects.filter(slug="dizhen").exists()
