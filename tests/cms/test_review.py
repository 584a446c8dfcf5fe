import pytest

from cms.pages import ArticlePage
from cms.review import ReviewNotApproved, is_review_approved


def test_approved_review_publishes_the_page(make_article):
    page = make_article()
    assert page.live
    assert is_review_approved(page.live_revision)


def test_publishing_without_review_is_refused(make_article):
    page = make_article(publish=False)
    revision = page.save_revision()
    with pytest.raises(ReviewNotApproved, match="尚未通过科学性审核"):
        revision.publish()
    page.refresh_from_db()
    assert not page.live


def test_a_page_added_as_live_without_review_is_kept_as_a_draft(articles_index, expert):
    page = ArticlePage(
        title="未经审核的文章",
        standfirst="导语",
        author="李青",
        source_credit="省科协",
        reviewing_expert=expert,
    )
    articles_index.add_child(instance=page)
    page.refresh_from_db()
    assert not page.live
    assert page.has_unpublished_changes


def test_a_reviewed_live_page_stays_live_when_saved_again(make_article):
    page = make_article()
    page.title = "疫苗是怎样起作用的（修订）"
    page.save()
    page.refresh_from_db()
    assert page.live
