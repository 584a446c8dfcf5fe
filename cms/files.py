"""Files follow review and visibility.

When a page revision is approved (published now, or scheduled), the files it
uses — documents, images, media and their thumbnails — are recorded as they
are stored at that moment: that is the version the reviewer saw. The public
doors (cms/file_views.py) serve only those recorded versions, and only while
the page that recorded them is visible. Replacing a file afterwards, in the
admin or in code, changes what the public gets only when a reviewer approves
a revision again. The storages (cms/storage.py) never delete a recorded
version, though Wagtail's edit views ask them to.

Screens and other products that show files outside pages say which files they
show through the `public_file_names` hook: a function (kind, object_id) →
storage names it shows now."""

from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath

from django.db import connections, models, transaction
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.models import Page, Revision
from wagtailmedia.models import get_media_model

from cms.review import is_review_approved


class FileKind(models.TextChoices):
    DOCUMENT = "document", _("文档")
    IMAGE = "image", _("图片")
    MEDIA = "media", _("音视频")
    THUMBNAIL = "thumbnail", _("音视频封面")


class FileSnapshot(models.Model):
    """The files an approved revision uses, as they were stored when it was
    approved."""

    revision = models.OneToOneField(
        Revision, on_delete=models.CASCADE, related_name="file_snapshot"
    )
    taken_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审核通过的文件版本")
        verbose_name_plural = _("审核通过的文件版本")


class ApprovedFile(models.Model):
    snapshot = models.ForeignKey(
        FileSnapshot, on_delete=models.CASCADE, related_name="files"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=FileKind.choices)
    object_id = models.PositiveBigIntegerField(_("对象编号"))
    name = models.CharField(_("存储路径"), max_length=255, db_index=True)
    size = models.BigIntegerField(_("文件大小（字节）"))

    class Meta:
        verbose_name = _("审核通过的文件")
        verbose_name_plural = _("审核通过的文件")
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "kind", "object_id"],
                name="cms_one_approved_file_per_kind_and_object",
            )
        ]

    @property
    def filename(self) -> str:
        return PurePosixPath(self.name).name


def file_models() -> dict[type, FileKind]:
    return {
        get_document_model(): FileKind.DOCUMENT,
        get_image_model(): FileKind.IMAGE,
        get_media_model(): FileKind.MEDIA,
    }


def referenced_files(page: Page) -> Iterator[tuple[type, int]]:
    """(model, pk) of every document, image and media the page refers to,
    through its foreign keys and its StreamFields."""
    models_ = file_models()
    for field in page._meta.get_fields():
        if field.many_to_one and field.related_model in models_:
            pk = field.value_from_object(page)
            if pk is not None:
                yield field.related_model, int(pk)
        elif isinstance(field, StreamField):
            value = field.value_from_object(page)
            for model, pk, _path, _content in field.stream_block.extract_references(
                value
            ):
                if model in models_ and str(pk).isdigit():
                    yield model, int(pk)


def stored_versions(page: Page) -> Iterator[tuple[FileKind, int, object]]:
    """(kind, object id, stored file) of each file the page uses now."""
    models_ = file_models()
    wanted: dict[type, set[int]] = {}
    for model, pk in referenced_files(page):
        wanted.setdefault(model, set()).add(pk)
    for model, pks in wanted.items():
        for obj in model.objects.filter(pk__in=pks):
            kind = models_[model]
            if obj.file:
                yield kind, obj.pk, obj.file
            if kind == FileKind.MEDIA and obj.thumbnail:
                yield FileKind.THUMBNAIL, obj.pk, obj.thumbnail


def size_of(stored) -> int:
    try:
        return stored.storage.size(stored.name)
    except (OSError, ValueError):
        return 0


@transaction.atomic
def snapshot(revision: Revision) -> FileSnapshot:
    """Record the files this page revision uses as stored now, once: a
    revision approved for later keeps what was approved, whatever happens
    to the files before it goes live."""
    taken, created = FileSnapshot.objects.get_or_create(revision=revision)
    if created:
        ApprovedFile.objects.bulk_create(
            ApprovedFile(
                snapshot=taken,
                kind=kind,
                object_id=pk,
                name=stored.name,
                size=size_of(stored),
            )
            for kind, pk, stored in stored_versions(revision.as_object())
        )
    return taken


def instances_in(value) -> Iterator[models.Model]:
    """Model instances inside a field or block value (streams, lists,
    structs)."""
    if isinstance(value, models.Model):
        yield value
    elif isinstance(value, dict):
        for child in value.values():
            yield from instances_in(child)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for child in value:
            yield from instances_in(getattr(child, "value", child))


class FileNotApproved(Exception):
    """A file the page uses has no version its live revision was approved
    with (the page went live without review, a live copy say)."""

    def __init__(self, obj) -> None:
        super().__init__(str(obj))
        self.title = str(obj)


def approved_name(approved: dict, kind: FileKind, obj) -> str:
    try:
        return approved[kind, obj.pk]
    except KeyError:
        raise FileNotApproved(obj) from None


def with_approved_files(page: Page) -> Page:
    """The page with every file it uses set, in memory, to the version its
    live revision was approved with: what channels render from. Raises
    FileNotApproved for a file without one."""
    approved = {
        (row.kind, row.object_id): row.name
        for row in ApprovedFile.objects.filter(
            snapshot__revision_id=page.live_revision_id
        )
    }
    kinds = file_models()
    for field in page._meta.get_fields():
        holds_files = isinstance(field, StreamField) or (
            field.many_to_one and field.related_model in kinds
        )
        if not holds_files:
            continue
        for obj in instances_in(getattr(page, field.name, None)):
            kind = kinds.get(type(obj))
            if kind is None:
                continue
            if obj.file:
                obj.file.name = approved_name(approved, kind, obj)
            if kind == FileKind.MEDIA and obj.thumbnail:
                thumbnail = FileKind.THUMBNAIL
                obj.thumbnail.name = approved_name(approved, thumbnail, obj)
    return page


def snapshot_live_pages() -> int:
    """Record the files of live revisions that have none yet (installations
    from before files followed review: what is live then was approved)."""
    missing = Page.objects.filter(
        live=True, live_revision__isnull=False, live_revision__file_snapshot=None
    ).select_related("live_revision")
    count = 0
    for page in missing:
        snapshot(page.live_revision)
        count += 1
    return count


def visible_revision_ids():
    from cms.pages import visible_pages

    return visible_pages().filter(live_revision__isnull=False).values("live_revision")


def approved_file(page_id: int, kind: FileKind, object_id: int) -> ApprovedFile | None:
    """The version of this file the page's live revision was approved with,
    when the page is visible now; else None."""
    return (
        ApprovedFile.objects.filter(
            kind=kind,
            object_id=object_id,
            snapshot__revision__in=visible_revision_ids(),
            snapshot__revision__object_id=str(page_id),
        )
        .order_by("-snapshot_id")
        .first()
    )


def public_versions(kind: FileKind, object_id: int) -> list[str]:
    """Storage names of this file that some output shows the public now:
    versions approved on visible pages, and those other products show."""
    names = list(
        ApprovedFile.objects.filter(
            kind=kind,
            object_id=object_id,
            snapshot__revision__in=visible_revision_ids(),
        )
        .order_by("-snapshot_id")
        .values_list("name", flat=True)
    )
    for names_shown in hooks.get_hooks("public_file_names"):
        names.extend(names_shown(kind, object_id))
    return names


def withdrawal_of_file(kind: FileKind, object_id: int, filename: str):
    """The withdrawal of a page that published this version of the file (its
    address then answers 410, not 404, when no visible page shows it)."""
    from cms.advisories import withdrawal_of

    page_ids = (
        ApprovedFile.objects.filter(
            kind=kind, object_id=object_id, name__endswith=f"/{filename}"
        )
        .values_list("snapshot__revision__object_id", flat=True)
        .distinct()
    )
    for page_id in page_ids:
        if advisory := withdrawal_of(int(page_id)):
            return advisory
    return None


def is_approved_version(name: str) -> bool:
    """Whether a stored file is a version some revision was approved with
    (the storages keep those)."""
    return ApprovedFile.objects.filter(name=name).exists()


def approved_files_of(pages) -> dict[tuple[int, str, int], ApprovedFile]:
    """(page id, kind, object id) → approved version, for the visible pages
    among `pages`, in one query."""
    rows = ApprovedFile.objects.filter(
        snapshot__revision__in=visible_revision_ids(),
        snapshot__revision__object_id__in=[str(page.pk) for page in pages],
    ).select_related("snapshot__revision")
    return {
        (int(row.snapshot.revision.object_id), row.kind, row.object_id): row
        for row in rows
    }


def on_page_published(sender, instance, revision=None, **kwargs) -> None:
    """Files are recorded for a revision 科学审核 approved, never for one
    that went live another way (a live copy of a page carries its latest
    draft): such a page's files have no public address."""
    if revision is not None and is_review_approved(revision):
        snapshot(revision)


def on_revision_saved(sender, instance: Revision, **kwargs) -> None:
    """A revision approved to go live later keeps the files it was approved
    with."""
    if (
        instance.approved_go_live_at is not None
        and isinstance(instance.content_object, Page)
        and is_review_approved(instance)
    ):
        snapshot(instance)


def on_migrated(sender, using="default", **kwargs) -> None:
    """Once, on the first migrate that creates the table: later, a live page
    without recorded files went live without review (a live copy, say)."""
    tables = connections[using].introspection.table_names()
    if FileSnapshot._meta.db_table not in tables:
        return  # migrated back to before files followed review
    if not FileSnapshot.objects.using(using).exists():
        snapshot_live_pages()
