"""The 科学审核 step becomes a ScienceReviewTask (four eyes, cms/review.py).

Every group approval task of the 科学审核 group keeps its row, id, name,
groups, workflows and task states: it gains a row in the subclass's table and
its content type. A workflow in progress carries on at the same task.
Reversed, the tasks are plain group approval tasks again."""

import django.db.models.deletion
from django.db import migrations, models

REVIEW_GROUP = "科学审核"


def convert_review_tasks(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Task = apps.get_model("wagtailcore", "Task")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    ScienceReviewTask = apps.get_model("cms", "ScienceReviewTask")

    review_tasks = GroupApprovalTask.objects.filter(groups__name=REVIEW_GROUP)
    task_ids = set(review_tasks.values_list("pk", flat=True))
    task_ids -= set(ScienceReviewTask.objects.values_list("pk", flat=True))
    for task_id in sorted(task_ids):
        # raw: insert the subclass row only, leaving the parents' rows as they are
        ScienceReviewTask(groupapprovaltask_ptr_id=task_id).save_base(raw=True)
    content_type, _ = ContentType.objects.get_or_create(
        app_label="cms", model="sciencereviewtask"
    )
    Task.objects.filter(pk__in=task_ids).update(content_type=content_type)


def restore_group_approval_tasks(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Task = apps.get_model("wagtailcore", "Task")
    ScienceReviewTask = apps.get_model("cms", "ScienceReviewTask")

    content_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task_ids = ScienceReviewTask.objects.values_list("pk", flat=True)
    Task.objects.filter(pk__in=list(task_ids)).update(content_type=content_type)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_search_title_body_index"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScienceReviewTask",
            fields=[
                (
                    "groupapprovaltask_ptr",
                    models.OneToOneField(
                        auto_created=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        parent_link=True,
                        primary_key=True,
                        serialize=False,
                        to="wagtailcore.groupapprovaltask",
                    ),
                ),
            ],
            options={
                "verbose_name": "科学审核任务",
                "verbose_name_plural": "科学审核任务",
            },
            bases=("wagtailcore.groupapprovaltask",),
        ),
        migrations.RunPython(convert_review_tasks, restore_group_approval_tasks),
    ]
