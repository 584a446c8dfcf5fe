"""Search entries made before a page type's indexed text changed are made
again by the `migrate` that brings the change, so an upgraded site finds
what a new one does.

The change ships a migration without operations (MIGRATION). After every
migration has run (post_migrate, with the models as they are now, which a
migration's own code may not use), the pages of the types it outdated are
indexed again, once: a `migrate` that does not apply it costs no query."""

from wagtail.search.index import insert_or_update_object

from cms.pages import ColumnPage, ContentIndexPage, HomePage

# Before it, columns, sections and the home page indexed their Chinese title
# as one word, and their description or introduction not at all.
MIGRATION = ("cms", "0008_every_page_type_in_bigrams")
PAGE_TYPES = (HomePage, ContentIndexPage, ColumnPage)


def on_migrated(sender, plan=None, using="default", **kwargs) -> None:
    applied = {
        (migration.app_label, migration.name)
        for migration, backwards in plan or []
        if not backwards
    }
    if MIGRATION not in applied:
        return
    for page_type in PAGE_TYPES:
        for page in page_type.objects.using(using).order_by("pk"):
            insert_or_update_object(page)
