"""The ingest app moved from channels/ingest/ to ingest/: polls queued by the
previous release name their task by the old module path, which no longer
imports. Rename them so a queued or scheduled poll still runs (and back, for
a rollback)."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr

OLD, NEW = "channels.ingest.", "ingest."


def rename(old: str, new: str):
    def run(apps, schema_editor):
        results = apps.get_model("django_tasks_database", "DBTaskResult").objects
        results.filter(task_path__startswith=old).update(
            task_path=Concat(Value(new), Substr("task_path", len(old) + 1))
        )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0002_editor_permissions"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(rename(OLD, NEW), rename(NEW, OLD))]
