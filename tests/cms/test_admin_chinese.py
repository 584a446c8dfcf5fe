"""The admin finished in Chinese: the sign-in form, names written 姓名, the
dashboard's 即将发布 by name, no avatar fetched from abroad, the media list's
count, topics in tree order and 目标人群 as boxes."""

from datetime import timedelta

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from cms.snippets import Topic


def test_the_sign_in_form_is_labelled_in_chinese(client, db):
    html = client.get(reverse("wagtailadmin_login")).content.decode()
    tree = lxml.html.fromstring(html)
    labels = [
        label.text_content().strip().rstrip("*")
        for label in tree.xpath("//form//label")
    ]
    assert "密码" in labels and "Password" not in html


@pytest.mark.parametrize(
    ("given", "family", "shown"),
    [
        ("晓雯", "林", "林晓雯"),
        ("国华", "郑", "郑国华"),
        ("Ada", "Lovelace", "Ada Lovelace"),
        ("", "林", "林"),
        ("晓雯", "", "晓雯"),
    ],
)
def test_names_are_written_family_name_first_in_chinese(db, given, family, shown):
    user = get_user_model()(username="u", first_name=given, last_name=family)
    assert user.get_full_name() == shown


def test_going_live_soon_names_the_submitter_and_no_avatar_is_fetched(
    admin_client, make_article, django_user_model
):
    editor = django_user_model.objects.create_user(
        "kepu_editor", first_name="晓雯", last_name="林"
    )
    article = make_article(publish=False)
    revision = article.save_revision(user=editor)
    revision.approved_go_live_at = timezone.now() + timedelta(days=1)
    revision.save()
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    panel = lxml.html.fromstring(html).xpath(
        "//*[@id='upcoming-publications-section']"
    )[0]
    text = panel.text_content()
    assert "林晓雯" in text and "kepu_editor" not in text
    assert "gravatar" not in html


def test_the_media_list_counts_in_chinese(admin_client):
    html = admin_client.get(reverse("wagtailmedia:index")).content.decode()
    assert "media items" not in html


def test_topics_list_each_parent_before_its_children_and_audiences_are_boxes(
    admin_client, articles_index
):
    health = Topic.objects.create(name="公共卫生", slug="health")
    Topic.objects.create(name="传染病", slug="infection", parent=health)
    Topic.objects.create(name="地震", slug="earthquake")
    Topic.objects.create(name="A 天文", slug="astronomy")
    url = reverse(
        "wagtailadmin_pages:add", args=("cms", "articlepage", articles_index.pk)
    )
    tree = lxml.html.fromstring(admin_client.get(url).content.decode())
    topics = [
        label.text_content().strip()
        for label in tree.xpath("//input[@name='topics']/parent::label")
    ]
    assert topics.index("公共卫生") + 1 == topics.index("公共卫生 / 传染病")
    assert tree.xpath("//input[@type='checkbox'][@name='audiences']")
    assert not tree.xpath("//select[@name='audiences']")
