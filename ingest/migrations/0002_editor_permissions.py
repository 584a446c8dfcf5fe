"""Wagtail's Editors register the upstream feeds they watch (add, change,
view) and see what was taken from them; deleting a feed stays with
administrators."""

from django.db import migrations

GRANTS = {
    "upstreamfeed": ("add", "change", "view"),
    "ingestedentry": ("view",),
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    editors = Group.objects.filter(name="Editors").first()
    if editors is None:
        return
    for model, actions in GRANTS.items():
        content_type, _ = ContentType.objects.get_or_create(
            app_label="ingest", model=model
        )
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {model}"},
            )
            editors.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
