import pytest

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
