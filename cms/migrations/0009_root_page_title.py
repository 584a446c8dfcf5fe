"""The tree's root, which Wagtail's own migration names "Root", named in
the admin's language (the explorer and breadcrumbs show it)."""

from django.db import migrations

ROOT_TITLE = "全部站点"


def name_the_root(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    Page.objects.filter(depth=1, title="Root").update(
        title=ROOT_TITLE, draft_title=ROOT_TITLE
    )


def name_it_back(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    Page.objects.filter(depth=1, title=ROOT_TITLE).update(
        title="Root", draft_title="Root"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0008_every_page_type_in_bigrams"),
        ("wagtailcore", "0002_initial_data"),
    ]

    operations = [migrations.RunPython(name_the_root, name_it_back)]
