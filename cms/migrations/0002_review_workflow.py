"""The 科学审核 group and the scientific-accuracy review workflow on the whole
page tree (replacing Wagtail's default moderation workflow), and the five key
audiences as editable starting data."""

from django.db import migrations

REVIEW_GROUP = "科学审核"
WORKFLOW_NAME = "科学性审核"
AUDIENCES = [
    ("青少年", "youth"),
    ("农民", "farmers"),
    ("产业工人", "industrial-workers"),
    ("老年人", "elderly"),
    ("领导干部和公务员", "officials"),
]


def permission(apps, app_label, model, codename, name):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    perm, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    return perm


def create_review_workflow(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    Audience = apps.get_model("cms", "Audience")

    reviewers, _ = Group.objects.get_or_create(name=REVIEW_GROUP)
    reviewers.permissions.add(
        permission(apps, "wagtailadmin", "admin", "access_admin", "Can access Wagtail admin")
    )
    root = Page.objects.get(depth=1)
    # Publishing happens as the approving reviewer, so the group needs it; the
    # publish guard on content pages still refuses anything review did not approve.
    page_permissions = (
        ("change_page", "Can change page"),
        ("view_page", "Can view page"),
        ("publish_page", "Can publish page"),
    )
    for codename, name in page_permissions:
        GroupPagePermission.objects.get_or_create(
            group=reviewers,
            page=root,
            permission=permission(apps, "wagtailcore", "page", codename, name),
        )

    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task, _ = GroupApprovalTask.objects.get_or_create(
        name=WORKFLOW_NAME, defaults={"content_type": task_type, "active": True}
    )
    task.groups.set([reviewers])
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})

    WorkflowPage.objects.filter(page=root).delete()
    WorkflowPage.objects.create(page=root, workflow=workflow)
    Workflow.objects.exclude(pk=workflow.pk).update(active=False)

    for order, (name, slug) in enumerate(AUDIENCES):
        Audience.objects.get_or_create(slug=slug, defaults={"name": name, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_review_workflow, migrations.RunPython.noop)]
