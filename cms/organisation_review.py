"""科学审核 per organisation. An organisation given a reviewers group gets
its own workflow, 科学审核·<name>: one ScienceReviewTask (cms.review: four
eyes) whose approvers are that group. Each organisation's sections
(Organisation.sections) go through the workflow of the nearest
organisation, itself first and then upwards, that has reviewers, so a
province reviews for a county that has none; with no such organisation the
section keeps the site's workflow. Reviewers act from Wagtail's own review
screens (a task's group members may open and approve the page) and get
the right to publish the sections they review, which approving does
(cms.organisation_rights).

sync_review() makes the workflows and their page assignments match the tree
after any change to it; it touches only the organisations' own workflows
and the sections some organisation holds (or held: `before`)."""

from django.db import transaction
from wagtail.models import Workflow, WorkflowPage, WorkflowTask

from cms.organisations import Organisation
from cms.review import ScienceReviewTask

WORKFLOW_NAME = "科学审核·%s"


def workflow_for(organisation: Organisation) -> Workflow:
    """The organisation's own workflow, its task's approvers its reviewers."""
    name = WORKFLOW_NAME % organisation.name
    workflow = organisation.review_workflow
    if workflow is None:
        workflow = Workflow.objects.create(name=name)
        task = ScienceReviewTask.objects.create(name=name)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        Organisation.objects.filter(pk=organisation.pk).update(review_workflow=workflow)
        organisation.review_workflow = workflow
    else:
        Workflow.objects.filter(pk=workflow.pk).update(name=name, active=True)
    for task in review_tasks(workflow):
        task.groups.set([organisation.reviewers_id])
    return workflow


def review_tasks(workflow: Workflow) -> list[ScienceReviewTask]:
    return list(
        ScienceReviewTask.objects.filter(workflow_tasks__workflow=workflow).distinct()
    )


def reviewing(organisations: list[Organisation]) -> dict[int, Organisation | None]:
    """Per organisation, the one that reviews its sections."""
    by_id = {org.pk: org for org in organisations}
    chosen = {}
    for org in organisations:
        lineage = reversed(org.lineage_ids)  # itself first, then upwards
        chosen[org.pk] = next(
            (by_id[pk] for pk in lineage if pk in by_id and by_id[pk].reviewers_id),
            None,
        )
    return chosen


def all_organisations() -> list[Organisation]:
    return list(
        Organisation.objects.select_related("review_workflow").prefetch_related(
            "sections"
        )
    )


@transaction.atomic
def sync_review(before_sections: frozenset = frozenset()) -> set[tuple[int, int]]:
    """Returns (reviewers group, section) for every section an
    organisation's reviewers review: they need to publish it when they
    approve."""
    organisations = all_organisations()
    reviewer_of = reviewing(organisations)
    workflows = {org.pk: workflow_for(org) for org in organisations if org.reviewers_id}
    ours = set(
        Organisation.objects.exclude(review_workflow=None).values_list(
            "review_workflow", flat=True
        )
    )
    wanted = {}
    for org in organisations:
        reviewer = reviewer_of[org.pk]
        for section in org.sections.all():
            wanted[section.pk] = workflows[reviewer.pk] if reviewer else None
    for page_id in set(before_sections) - set(wanted):
        WorkflowPage.objects.filter(page_id=page_id, workflow__in=ours).delete()
    for page_id, workflow in wanted.items():
        if workflow is None:
            WorkflowPage.objects.filter(page_id=page_id, workflow__in=ours).delete()
        else:
            WorkflowPage.objects.update_or_create(
                page_id=page_id, defaults={"workflow": workflow}
            )
    return {
        (reviewer_of[org.pk].reviewers_id, section.pk)
        for org in organisations
        if reviewer_of[org.pk] is not None
        for section in org.sections.all()
    }
