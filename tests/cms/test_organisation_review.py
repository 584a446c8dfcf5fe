"""科学审核 per organisation (cms.organisation_review): an organisation's
sections go through its own reviewers' workflow, or the nearest one above
it that has reviewers; its reviewers approve its items and nobody else's;
the four-eyes rule holds for them too."""

import pytest
from django.contrib.auth.models import Group, User
from wagtail.models import Page

from cms.organisation_rights import Holdings, sync_rights
from cms.pages import ArticlePage, ContentIndexPage
from cms.review import (
    SelfApprovalRefused,
    approve_review,
    is_review_approved,
    submit_for_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sections(home, org_tree):
    made = {}
    for key in ("province", "nongan", "dehui", "songyuan"):
        section = home.add_child(
            instance=ContentIndexPage(title=f"{key}栏目", slug=f"{key}-section")
        )
        org_tree[key].sections.add(section)
        made[key] = section
    sync_rights()
    return made


def reviewers_of(organisation, *names: str) -> list[User]:
    group = Group.objects.create(name=f"{organisation.name}·科学审核")
    organisation.reviewers = group
    organisation.save()
    users = [User.objects.create_user(name, password="pw") for name in names]
    for user in users:
        user.groups.add(group)
    return users


def workflow_name(page: Page) -> str | None:
    workflow = Page.objects.get(pk=page.pk).get_workflow()
    return workflow.name if workflow else None


def draft_in(section, editor, expert, title="县里的科普") -> ArticlePage:
    page = section.add_child(
        instance=ArticlePage(
            title=title,
            live=False,
            standfirst="一句话导语。",
            author="刘洋",
            source_credit="农安县科协",
            reviewing_expert=expert,
            body=[("paragraph", "<p>科学内容。</p>")],
        )
    )
    page.save_revision(user=editor)
    submit_for_review(page, editor)
    return page


def may_approve_now(page: Page, user: User) -> bool:
    page = Page.objects.get(pk=page.pk).specific
    task = page.current_workflow_task
    return any(action[0] == "approve" for action in task.get_actions(page, user))


def test_a_county_with_reviewers_reviews_its_own_sections(
    org_tree, sections, editor, expert, reviewer
):
    site_workflow = workflow_name(sections["province"])
    (county_reviewer,) = reviewers_of(org_tree["nongan"], "county-reviewer")
    sync_rights()
    assert workflow_name(sections["nongan"]) == "科学审核·农安县科协"
    assert workflow_name(sections["province"]) == site_workflow
    page = draft_in(sections["nongan"], editor, expert)
    assert may_approve_now(page, county_reviewer)
    assert not may_approve_now(page, reviewer)  # the province's reviewer
    approve_review(page, county_reviewer, comment="准确")
    page.refresh_from_db()
    assert page.live and is_review_approved(page.live_revision)


def test_a_county_reviewer_does_not_review_the_provinces_items(
    org_tree, sections, editor, expert, reviewer
):
    (county_reviewer,) = reviewers_of(org_tree["nongan"], "county-reviewer")
    sync_rights()
    page = draft_in(sections["province"], editor, expert, title="省里的科普")
    assert not may_approve_now(page, county_reviewer)
    assert may_approve_now(page, reviewer)


def test_a_county_without_reviewers_is_reviewed_by_the_nearest_above(
    org_tree, sections
):
    reviewers_of(org_tree["changchun"], "city-reviewer")
    sync_rights()
    assert workflow_name(sections["dehui"]) == "科学审核·长春市科协"
    assert workflow_name(sections["nongan"]) == "科学审核·长春市科协"
    site_workflow = workflow_name(sections["province"])
    assert workflow_name(sections["songyuan"]) == site_workflow


def test_moving_a_county_moves_its_review_and_giving_up_a_section_frees_it(
    org_tree, sections
):
    site_workflow = workflow_name(sections["province"])
    reviewers_of(org_tree["changchun"], "city-reviewer")
    reviewers_of(org_tree["songyuan"], "songyuan-reviewer")
    sync_rights()
    county = org_tree["nongan"]
    county.parent = org_tree["songyuan"]
    county.save()
    sync_rights()
    assert workflow_name(sections["nongan"]) == "科学审核·松原市科协"
    before = Holdings.of(county)
    county.sections.clear()
    sync_rights(before)
    assert workflow_name(sections["nongan"]) == site_workflow


def test_a_county_reviewer_may_not_approve_their_own_edit(org_tree, sections, expert):
    (county_reviewer,) = reviewers_of(org_tree["nongan"], "county-reviewer")
    sync_rights()
    page = draft_in(sections["nongan"], county_reviewer, expert)
    assert not may_approve_now(page, county_reviewer)
    with pytest.raises(SelfApprovalRefused):
        approve_review(page, county_reviewer)
