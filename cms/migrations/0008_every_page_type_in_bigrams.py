"""From here, every page type indexes its title and its own text in bigrams
(cms/pages.py, ChineseSearchMixin): columns, sections and the home page
before only their title, as one word no Chinese query matched.

No schema changes. The entries of existing pages of those types are made
again once this has been applied, by cms/reindex.py (post_migrate)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cms", "0007_page_cache_generation")]

    operations: list = []
