"""Scientific-accuracy review: the rule that nothing goes live unreviewed, and
the four-eyes rule that nobody approves their own edit.

A revision's approver may not have saved any revision the approval would take
live: none since the page's live revision (any, for a page never published),
nor any later one (their edit would ride on the approval). ScienceReviewTask holds the
rule in the workflow: the admin does not offer 批准 to those users, and
on_action refuses a hand-made approve. is_review_approved(), behind every
publish of a content page, refuses an approval given by the revision's own
author however it was recorded. REVIEW_ALLOW_SELF_APPROVAL (one-person
offices) turns the rule off, for superusers too. Each check costs one query.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from wagtail.models import GroupApprovalTask, Revision, TaskState, WorkflowState

REVIEW_GROUP_NAME = "科学审核"
SELF_APPROVAL_REFUSED = _("不能审核通过自己编辑的内容：请由另一位审核人审核")


class ReviewNotApproved(PermissionDenied):
    """Raised when a content page would go live without an approved review."""


class SelfApprovalRefused(PermissionDenied):
    """Raised when a reviewer approves a revision that they edited."""


def editors_of_change(revision: Revision) -> set[int]:
    """Ids of the users who saved a revision of the object after its live
    revision (all of them, when none is live): the change under review and
    whatever was saved since."""
    live_revision_id = getattr(revision.content_object, "live_revision_id", None)
    saved = Revision.objects.filter(
        base_content_type_id=revision.base_content_type_id,
        object_id=revision.object_id,
        pk__gt=live_revision_id or 0,
        user__isnull=False,
    )
    return set(saved.values_list("user_id", flat=True))


def may_approve(revision: Revision, user) -> bool:
    if settings.REVIEW_ALLOW_SELF_APPROVAL:
        return True
    return user.pk not in editors_of_change(revision)


def is_review_approved(revision: Revision) -> bool:
    """True when this exact revision passed a 科学审核 task (the site's, or
    an organisation's own: cms.organisation_review) of a finished, approved
    workflow, approved by someone other than its author; or it is an
    unchanged copy of a revision that did (CarriedReview)."""
    approvals = TaskState.objects.filter(
        Q(revision=revision) | Q(revision__carried_to__revision=revision),
        status=TaskState.STATUS_APPROVED,
        workflow_state__status=WorkflowState.STATUS_APPROVED,
        task__groupapprovaltask__sciencereviewtask__isnull=False,
    )
    if not settings.REVIEW_ALLOW_SELF_APPROVAL:
        # nobody approves their own revision (an author of none: no one)
        approvals = approvals.exclude(finished_by_id=F("revision__user_id"))
    return approvals.exists()


def require_review_approval(revision: Revision) -> None:
    if not is_review_approved(revision):
        raise ReviewNotApproved(
            _("「%(title)s」尚未通过科学性审核，不能发布")
            % {"title": revision.object_str}
        )


class CarriedReview(models.Model):
    """A revision that is an unchanged copy of a reviewed one (a county
    taking up the province's item into its own section): the review of the
    source carries over. Any edit makes a new revision, which has none and
    goes through the section's own review."""

    revision = models.OneToOneField(
        Revision, on_delete=models.CASCADE, related_name="carried_review"
    )
    source = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="carried_to"
    )
    carried_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("沿用的科学审核")
        verbose_name_plural = _("沿用的科学审核")


class ScienceReviewTask(GroupApprovalTask):
    """The 科学审核 step: a group approval that its group's members may not
    give to a revision they edited (rejecting stays open to them)."""

    class Meta:
        verbose_name = _("科学审核任务")
        verbose_name_plural = _("科学审核任务")

    def get_actions(self, obj, user):
        actions = super().get_actions(obj, user)
        task_state = obj.current_workflow_task_state
        if task_state is None or may_approve(task_state.revision, user):
            return actions
        return [action for action in actions if action[0] != "approve"]

    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name == "approve" and not may_approve(task_state.revision, user):
            raise SelfApprovalRefused(SELF_APPROVAL_REFUSED)
        return super().on_action(task_state, user, action_name, **kwargs)

    def is_refused_approver(self, obj, user) -> bool:
        """The user could approve this task but for the four-eyes rule."""
        task_state = obj.current_workflow_task_state
        return (
            task_state is not None
            and bool(super().get_actions(obj, user))
            and not may_approve(task_state.revision, user)
        )

    @classmethod
    def get_description(cls):
        return _("所选用户组的成员可以审核通过，但不能审核通过自己编辑过的修订")


def submit_for_review(page, user) -> WorkflowState:
    """Submit the page's latest revision to its workflow, as the editor's
    "提交审核" button does."""
    return page.get_workflow().start(page, user)


def approve_review(page, reviewer, comment: str = "") -> None:
    """Approve the page's current review task, as a 科学审核 member does in the
    admin; on the last task the workflow publishes (or schedules) the revision."""
    task_state = page.current_workflow_task_state
    task_state.task.specific.on_action(task_state, reviewer, "approve", comment=comment)
