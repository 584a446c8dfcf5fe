"""Admin hooks: the 即将发布 dashboard panel, the hidden Publish button and
the reason a reviewer is not offered 批准."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from cms.pages import ArticlePage
from cms.review import submit_for_review


def test_dashboard_lists_approved_items_going_live_within_a_week(
    admin_client, make_article
):
    make_article(title="下周的台风科普", go_live_at=timezone.now() + timedelta(days=3))
    make_article(
        title="下个月的节气科普", go_live_at=timezone.now() + timedelta(days=20)
    )
    make_article(title="已经上线的文章")

    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    panel = html[html.index("即将发布") :]
    assert "下周的台风科普" in panel
    assert "下个月的节气科普" not in panel
    assert "已经上线的文章" not in panel


def test_a_county_editor_sees_only_what_goes_live_in_its_own_section(
    client, make_article, home, org_tree
):
    from cms.organisation_rights import sync_rights
    from cms.pages import ContentIndexPage
    from tests.organisation_fixtures import staff_of

    soon = timezone.now() + timedelta(days=3)
    section = home.add_child(
        instance=ContentIndexPage(title="农安县科普", slug="nongan")
    )
    org_tree["nongan"].sections.add(section)
    county = staff_of(org_tree["nongan"], name="county")
    sync_rights()
    make_article(title="省里下周的文章", go_live_at=soon)
    ours = make_article(title="县里下周的文章", slug="county-soon", go_live_at=soon)
    ours.move(section, pos="last-child")

    client.force_login(county)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    panel = html[html.index("即将发布") :]
    assert "县里下周的文章" in panel
    assert "省里下周的文章" not in panel


def test_dashboard_says_when_nothing_is_scheduled(admin_client, db):
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "未来 7 天内没有已排期的内容" in html


def publish_button_shown(admin_client, page) -> bool:
    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    return 'name="action-publish"' in admin_client.get(edit_url).content.decode()


def test_publish_button_is_hidden_for_unreviewed_content_even_for_a_superuser(
    admin_client, make_article, editor
):
    page = make_article(publish=False)
    page.save_revision(user=editor)
    assert not publish_button_shown(admin_client, page)
    submit_for_review(page, editor)
    assert not publish_button_shown(admin_client, page)


def test_publish_button_is_hidden_on_the_create_form(admin_client, articles_index):
    url = reverse(
        "wagtailadmin_pages:add", args=("cms", "articlepage", articles_index.pk)
    )
    assert 'name="action-publish"' not in admin_client.get(url).content.decode()


def test_publish_button_stays_for_pages_outside_review(admin_client, articles_index):
    assert publish_button_shown(admin_client, articles_index)


def test_a_publish_post_for_unreviewed_content_leaves_it_offline(
    admin_client, articles_index, article_form
):
    url = reverse(
        "wagtailadmin_pages:add", args=("cms", "articlepage", articles_index.pk)
    )
    response = admin_client.post(
        url, article_form(**{"action-publish": "action-publish"})
    )
    assert response.status_code == 302  # Wagtail's "no permission" redirect
    assert not ArticlePage.objects.filter(live=True).exists()


def test_the_action_menu_tells_an_edits_author_why_approve_is_missing(
    client, make_article, reviewer, other_reviewer
):
    page = make_article(publish=False)
    page.save_revision(user=reviewer)
    submit_for_review(page, reviewer)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    reason = "不能审核通过自己编辑的内容：请由另一位审核人审核"

    client.force_login(reviewer)
    assert reason in client.get(url).content.decode()
    client.force_login(other_reviewer)
    assert reason not in client.get(url).content.decode()
