"""The admin finished in Chinese: the sign-in form, names written 姓名, the
dashboard's 即将发布 by name, no avatar fetched from abroad, the media list's
count, topics in tree order and 目标人群 as boxes."""

import json
from datetime import timedelta

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from cms.snippets import Topic
from tests.chinese import latin_only_labels


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


# Every page of the zh-hans admin in Chinese ------------------------------------------


@pytest.fixture
def admin_pages(
    admin_user, make_article, make_outlet, make_placement, screen_tree, screen_loop
):
    article = make_article()
    outlet = make_outlet()
    make_placement(article, outlet)
    return [
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_explore_root"),
        reverse("wagtailadmin_explore", args=(article.get_parent().pk,)),
        reverse("wagtailadmin_pages:edit", args=(article.pk,)),
        reverse("channel_outlets:index"),
        reverse("channel_outlets:edit", args=(outlet.pk,)),
        reverse("channel_placements:index"),
        reverse("channel_calendar:index"),
        reverse("big_screen_groups:index"),
        reverse("big_screen_groups:edit", args=(screen_tree.site.pk,)),
        reverse("big_screen_screens:index"),
        reverse("big_screen_preview:index"),
        reverse("wagtailimages:index"),
        reverse("wagtaildocs:index"),
        reverse("wagtailmedia:index"),
    ]


def test_the_admins_pages_have_no_label_left_in_english(admin_client, admin_pages):
    # What the test and Wagtail's initial data named: the user, a file, and
    # the page Wagtail's own migration creates.
    data = {"admin", "kepu-video.mp4", "Welcome to your new Wagtail site!"}
    left = {}
    for url in admin_pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        if found := latin_only_labels(response.content.decode(), data):
            left[url] = sorted(found)
    assert left == {}


def test_the_admins_script_strings_wagtail_left_out_are_chinese(admin_client):
    """Wagtail 8's sidebar badges and autosave are not in its zh_Hans script
    catalogue; ours (locale/zh_Hans/LC_MESSAGES/djangojs.po) adds them."""
    catalogue = admin_client.get(reverse("wagtailadmin_javascript_catalog"))
    text = catalogue.content.decode()
    for chinese in ("（新）", "正在自动保存…", "（此菜单有 %(number)s 个新项目）"):
        assert json.dumps(chinese)[1:-1] in text
