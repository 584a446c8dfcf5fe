"""An index for the feed fingerprint's "latest expiry of a live page"
(caching.py) and for the expired-but-live check every visible page list
makes: partial, over live pages only, so that it stays as small as the number
of live pages with an expiry time. Without it both read every page: 30 ms a
cached feed request at 100,000 articles on SQLite (benchmarks/feeds.py)."""

from django.db import migrations

INDEX = "feeds_live_page_expire_at"


def create_index(apps, schema_editor):
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailcore_page (expire_at) "
        "WHERE live"
    )


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("feeds", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
