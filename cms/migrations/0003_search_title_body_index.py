"""PostgreSQL: index the expression the search query filters on.

Wagtail's database search filters on ("title" || "body") @@ query, but only
indexes title and body separately, so PostgreSQL scanned every index entry:
about 190 ms a search at 10,000 articles, 16–20 ms with this index
(benchmarks/site.py). SQLite searches its FTS5 table and needs nothing.
"""

from django.db import migrations

INDEX = "cms_search_title_body_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailsearch_indexentry '
            'USING gin (("title" || "body"))'
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_review_workflow"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
