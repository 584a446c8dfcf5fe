"""Addresses of a page's files in the version a reviewer approved: the
public doors of cms/file_views.py. In a preview, staff see the files as
stored now (a draft's files have no public address yet)."""

from dataclasses import dataclass
from pathlib import PurePosixPath

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from cms.file_views import IMAGE_WIDTHS, image_url, mime_type_of
from cms.files import FileKind, approved_file

register = template.Library()


@dataclass(frozen=True)
class PublicFile:
    url: str
    name: str  # the stored name of the version shown

    @property
    def extension(self) -> str:
        return PurePosixPath(self.name).suffix.lstrip(".").lower()

    def mime_type(self, kind: str = "") -> str:
        return mime_type_of(self.name, kind)


def in_preview(context) -> bool:
    return bool(getattr(context.get("request"), "is_preview", False))


def public_address(page, kind: FileKind, obj, stored_name: str) -> str:
    if kind == FileKind.MEDIA:
        filename = PurePosixPath(stored_name).name
        return reverse("files:enclosure", args=[page.pk, obj.pk, filename])
    if kind == FileKind.THUMBNAIL:
        return reverse("files:thumbnail", args=[page.pk, obj.pk])
    if kind == FileKind.DOCUMENT:
        filename = PurePosixPath(stored_name).name
        return reverse("files:document", args=[obj.pk, filename])
    return image_url(obj.pk, stored_name)


@register.simple_tag(takes_context=True)
def public_file(context, kind: str, obj) -> PublicFile | None:
    """{% public_file "media" page.video as video_file %}: kind is one of
    document, image, media, thumbnail (a media's cover)."""
    page = context.get("page")
    if obj is None or page is None:
        return None
    stored = obj.thumbnail if kind == FileKind.THUMBNAIL else obj.file
    if in_preview(context):
        return PublicFile(stored.url, stored.name) if stored else None
    approved = approved_file(page.pk, FileKind(kind), obj.pk)
    if approved is None:
        return None
    address = public_address(page, FileKind(kind), obj, approved.name)
    return PublicFile(address, approved.name)


@register.simple_tag(takes_context=True)
def public_image(context, image, sizes: str = "", alt: str = ""):
    """An <img> of the approved version, in IMAGE_WIDTHS for srcset."""
    shown = public_file(context, FileKind.IMAGE, image)
    if shown is None:
        return ""
    alt = alt or image.title
    if in_preview(context):
        return format_html('<img src="{}" alt="{}" loading="lazy">', shown.url, alt)
    srcset = format_html_join(
        ", ",
        "{} {}w",
        ((image_url(image.pk, shown.name, width), width) for width in IMAGE_WIDTHS),
    )
    return format_html(
        '<img src="{}" srcset="{}" sizes="{}" alt="{}" loading="lazy">',
        image_url(image.pk, shown.name, IMAGE_WIDTHS[1]),
        srcset,
        sizes,
        alt,
    )
