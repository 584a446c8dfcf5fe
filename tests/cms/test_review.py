import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from wagtail.models import GroupApprovalTask, Task, TaskState

from cms.pages import ArticlePage
from cms.review import (
    ReviewNotApproved,
    ScienceReviewTask,
    SelfApprovalRefused,
    approve_review,
    is_review_approved,
    submit_for_review,
)


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


def test_the_review_workflow_runs_a_science_review_task(make_article):
    page = make_article(publish=False)
    page.save_revision()
    submit_for_review(page, None)
    assert isinstance(page.current_workflow_task, ScienceReviewTask)


@pytest.fixture
def own_edit(make_article, reviewer):
    """A draft that the reviewer edited and submitted."""
    page = make_article(publish=False)
    page.save_revision(user=reviewer)
    submit_for_review(page, reviewer)
    return page


def test_a_reviewer_cannot_approve_their_own_edit(own_edit, reviewer):
    with pytest.raises(SelfApprovalRefused, match="不能审核通过自己编辑的内容"):
        approve_review(own_edit, reviewer)
    own_edit.refresh_from_db()
    assert not own_edit.live
    assert own_edit.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS


def test_another_reviewer_approves_and_the_edit_goes_live(own_edit, other_reviewer):
    approve_review(own_edit, other_reviewer)
    own_edit.refresh_from_db()
    assert own_edit.live
    assert is_review_approved(own_edit.live_revision)


def test_the_edits_author_may_still_request_changes(own_edit, reviewer):
    task = own_edit.current_workflow_task
    assert [name for name, *_ in task.get_actions(own_edit, reviewer)] == ["reject"]
    task.on_action(own_edit.current_workflow_task_state, reviewer, "reject")
    assert own_edit.current_workflow_state.status == "needs_changes"


def test_a_reviewer_who_edited_after_submission_cannot_approve(
    make_article, editor, reviewer, other_reviewer
):
    page = make_article(publish=False)
    page.save_revision(user=editor)
    submit_for_review(page, editor)
    page.save_revision(user=reviewer)  # edits while the review waits
    task = page.current_workflow_task
    assert "approve" not in {name for name, *_ in task.get_actions(page, reviewer)}
    assert "approve" in {name for name, *_ in task.get_actions(page, other_reviewer)}
    with pytest.raises(SelfApprovalRefused):
        approve_review(page, reviewer)


def test_a_reviewer_whose_earlier_draft_another_editor_submitted_cannot_approve(
    make_article, editor, reviewer
):
    """The approval would take the reviewer's own unreviewed text live too."""
    page = make_article()
    page.standfirst = "审核人自己写的导语"
    page.save_revision(user=reviewer)
    page.title = "编辑改了标题"
    page.save_revision(user=editor)
    submit_for_review(page, editor)
    with pytest.raises(SelfApprovalRefused):
        approve_review(page, reviewer)
    page.refresh_from_db()
    assert page.standfirst != "审核人自己写的导语"


def test_a_superuser_cannot_approve_their_own_edit(make_article, admin_user):
    page = make_article(publish=False)
    page.save_revision(user=admin_user)
    submit_for_review(page, admin_user)
    with pytest.raises(SelfApprovalRefused):
        approve_review(page, admin_user)
    page.refresh_from_db()
    assert not page.live


def test_an_approval_recorded_by_the_author_does_not_publish(own_edit, reviewer):
    """Behind the task: publishing refuses an approval by the revision's author
    however it was recorded, and the whole approval is rolled back."""
    task_state = own_edit.current_workflow_task_state
    with pytest.raises(ReviewNotApproved):
        task_state.approve(user=reviewer)
    own_edit.refresh_from_db()
    task_state.refresh_from_db()
    assert not own_edit.live
    assert task_state.status == TaskState.STATUS_IN_PROGRESS


def test_self_approval_works_when_the_office_allows_it(settings, own_edit, reviewer):
    settings.REVIEW_ALLOW_SELF_APPROVAL = True
    approve_review(own_edit, reviewer)
    own_edit.refresh_from_db()
    assert own_edit.live


def workflow_action_url(page, action: str) -> str:
    task_state = page.current_workflow_task_state
    return reverse(
        "wagtailadmin_pages:workflow_action", args=(page.pk, action, task_state.pk)
    )


def editor_html(client, user, page) -> str:
    client.force_login(user)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    return client.get(url).content.decode()


def test_the_editor_does_not_offer_approve_to_the_edits_author(
    client, own_edit, reviewer
):
    html = editor_html(client, reviewer, own_edit)
    assert 'data-workflow-action-name="approve"' not in html
    assert 'data-workflow-action-name="reject"' in html


def test_the_editor_offers_approve_to_another_reviewer(
    client, own_edit, other_reviewer
):
    html = editor_html(client, other_reviewer, own_edit)
    assert 'data-workflow-action-name="approve"' in html


def test_a_hand_made_approve_post_by_the_author_is_refused(
    client, make_article, reviewer, other_reviewer
):
    page = make_article(title="旧标题")  # live, reviewed by another
    live_revision = page.live_revision
    page.title = "自己改的标题"
    page.save_revision(user=reviewer)
    submit_for_review(page, reviewer)
    client.force_login(reviewer)

    response = client.post(workflow_action_url(page, "approve"), {"comment": "好"})

    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")  # Wagtail's "no permission"
    page.refresh_from_db()
    assert page.live_revision == live_revision
    assert page.title == "旧标题"
    assert page.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS
    assert client.get(page.url).content.decode().count("自己改的标题") == 0


def test_a_hand_made_approve_from_the_editor_form_only_saves_a_draft(
    client, own_edit, reviewer, article_form
):
    task_state = own_edit.current_workflow_task_state
    client.force_login(reviewer)
    data = article_form(
        title=own_edit.title,
        slug=own_edit.slug,
        **{"action-workflow-action": "1", "workflow-action-name": "approve"},
    )
    client.post(reverse("wagtailadmin_pages:edit", args=(own_edit.pk,)), data)
    own_edit.refresh_from_db()
    task_state.refresh_from_db()
    assert not own_edit.live
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    assert own_edit.get_latest_revision().user == reviewer


def test_another_reviewer_approves_in_the_admin_and_the_page_goes_live(
    client, own_edit, other_reviewer
):
    client.force_login(other_reviewer)
    response = client.post(workflow_action_url(own_edit, "approve"), {"comment": "好"})
    assert response.status_code == 302
    own_edit.refresh_from_db()
    assert own_edit.live


def test_approving_from_the_dashboards_modal_says_so_on_the_reloaded_page(
    client, own_edit, other_reviewer
):
    client.force_login(other_reviewer)
    modal = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
    url = workflow_action_url(own_edit, "approve")
    answer = client.post(url, {"comment": "数据核实无误"}, **modal).json()
    assert answer["step"] == "success"
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert f"「{own_edit.title}」：" in dashboard
    own_edit.refresh_from_db()
    assert own_edit.live


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_installation_reviewing_with_the_plain_group_task_upgrades_in_place(
    make_article, reviewer, other_reviewer
):
    page = make_article(publish=False)
    page.save_revision(user=reviewer)
    submit_for_review(page, reviewer)  # a review waiting during the upgrade
    task_state_id = page.current_workflow_task_state.pk
    task_id = page.current_workflow_task.pk
    previous = ("cms", "0003_search_title_body_index")
    MigrationExecutor(connection).migrate([previous])
    try:
        plain = Task.objects.get(pk=task_id).specific
        assert type(plain) is GroupApprovalTask  # as the previous release has it
    finally:  # every app: migrating cms back took its dependants back too
        call_command("migrate", verbosity=0)

    task = Task.objects.get(pk=task_id).specific
    assert isinstance(task, ScienceReviewTask)
    assert [group.name for group in task.groups.all()] == ["科学审核"]
    assert task.workflows.get().name == "科学性审核"
    page = ArticlePage.objects.get(pk=page.pk)
    assert page.current_workflow_task_state.pk == task_state_id
    with pytest.raises(SelfApprovalRefused):
        approve_review(page, reviewer)
    approve_review(page, other_reviewer)
    page.refresh_from_db()
    assert page.live
