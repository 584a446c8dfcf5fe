"""Scientific-accuracy review: the rule that nothing goes live unreviewed."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail.models import Revision, TaskState, WorkflowState

REVIEW_GROUP_NAME = "科学审核"


class ReviewNotApproved(PermissionDenied):
    """Raised when a content page would go live without an approved review."""


def is_review_approved(revision: Revision) -> bool:
    """True when this exact revision passed a 科学审核 group task of a finished,
    approved workflow."""
    return TaskState.objects.filter(
        revision=revision,
        status=TaskState.STATUS_APPROVED,
        workflow_state__status=WorkflowState.STATUS_APPROVED,
        task__groupapprovaltask__groups__name=REVIEW_GROUP_NAME,
    ).exists()


def require_review_approval(revision: Revision) -> None:
    if not is_review_approved(revision):
        raise ReviewNotApproved(
            _("「%(title)s」尚未通过科学性审核，不能发布")
            % {"title": revision.object_str}
        )


def submit_for_review(page, user) -> WorkflowState:
    """Submit the page's latest revision to its workflow, as the editor's
    "提交审核" button does."""
    return page.get_workflow().start(page, user)


def approve_review(page, reviewer, comment: str = "") -> None:
    """Approve the page's current review task, as a 科学审核 member does in the
    admin; on the last task the workflow publishes (or schedules) the revision."""
    task_state = page.current_workflow_task_state
    task_state.task.specific.on_action(task_state, reviewer, "approve", comment=comment)
