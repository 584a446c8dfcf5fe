"""Feed items: what every format says about one page, read with a constant
number of queries however many pages there are.

The body is rendered from the StreamField's raw data rather than through the
block templates, so that images and linked pages are fetched once for all
items instead of once per page; a link to a page readers cannot see is
dropped (its text stays), so a feed never reveals an unpublished page's URL.

A corrected item (更正) carries its correction notes, newest first, each dated
by its advisory (cms.advisories), read in one query for all items; its
`updated` is then the latest correction's time if that is later. Its GUID
never changes."""

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath

import nh3
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext
from wagtail.models import Page

from cms.advisories import Advisory
from cms.file_views import image_url, mime_type_of
from cms.files import ApprovedFile, FileKind, approved_files_of
from cms.pages import ColumnEpisodePage, VideoPage, visible_pages
from cms.public_address import public_url
from feeds.enclosures import MediaFacts, media_facts
from feeds.selection import content_type_of
from media_pipeline.models import current_renditions

logger = logging.getLogger(__name__)

PAGE_LINK = re.compile(r'<a\s+[^>]*linktype="page"[^>]*\bid="(\d+)"[^>]*>', re.I)
OTHER_INTERNAL_LINK = re.compile(r'<a\s+[^>]*linktype="[^"]*"[^>]*>', re.I)
ANY_LINK_ID = re.compile(r'linktype="page"[^>]*\bid="(\d+)"', re.I)
EMBED = re.compile(r"<embed\b[^>]*/?>", re.I)
BLOCK_BREAK = re.compile(r"</(p|h2|h3|li|blockquote|figcaption|h4)>", re.I)


@dataclass(frozen=True)
class MediaRendition:
    """An export of the media for a platform or use (media_pipeline preset),
    made from the file as it is now; served by our own view, as enclosures."""

    preset: str
    label: str
    url: str
    mime_type: str
    length: int
    duration_seconds: float | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Enclosure:
    url: str  # absolute URL, served by our own range-capable view
    length: int  # bytes of the real file
    mime_type: str
    kind: str  # "audio" | "video"
    duration_seconds: float | None
    width: int | None
    height: int | None
    thumbnail_url: str | None
    renditions: tuple[MediaRendition, ...] = ()


@dataclass(frozen=True)
class CorrectionNote:
    """One 更正说明 of an item: what was wrong, what is right, and when the
    correction went live."""

    wrong: str
    right: str
    at: datetime  # aware, UTC


@dataclass(frozen=True)
class FeedItem:
    guid: str  # stable: built from the page id, never from slug/url
    page_id: int
    content_type: str  # "article" | "video" | "episode"
    title: str
    link: str  # absolute URL of the page
    summary: str
    body_html: str  # sanitised HTML of the full text ("" if none)
    body_text: str  # plain text
    published: datetime  # aware, UTC
    updated: datetime  # aware, UTC
    author: str
    categories: list[str]  # topic names
    audiences: list[str]
    campaign: str | None
    image_url: str | None
    enclosures: list[Enclosure]
    episode: int | None = None  # its number, given in a programme's own feed
    corrections: tuple[CorrectionNote, ...] = ()  # newest first

    @property
    def corrections_html(self) -> str:
        """The 更正说明 section every format adds to the item's content."""
        if not self.corrections:
            return ""
        line = gettext("原文“%(wrong)s”，应为“%(right)s”。")
        rows = "".join(
            f'<li><time datetime="{note.at.isoformat()}">'
            f"{local_date(note.at)}</time> "
            + line % {"wrong": escape(note.wrong), "right": escape(note.right)}
            + "</li>"
            for note in self.corrections
        )
        heading = escape(gettext("更正说明"))
        return f'<aside class="corrections"><h3>{heading}</h3><ul>{rows}</ul></aside>'

    @property
    def corrections_text(self) -> str:
        return plain_text(self.corrections_html)


def item_guid(page_id: int) -> str:
    return f"urn:kepu:page:{page_id}"


def media_of(page: Page):
    if isinstance(page, VideoPage):
        return page.video
    if isinstance(page, ColumnEpisodePage):
        return page.audio
    return None


def raw_blocks(page: Page) -> list[dict]:
    body = getattr(page, "body", None)
    return list(body.raw_data) if body is not None else []


def list_values(value) -> list:
    """A ListBlock's raw items, in the old (plain) or new (typed) format."""
    return [v["value"] if isinstance(v, dict) and "value" in v else v for v in value]


@dataclass
class Linked:
    """What the bodies refer to, fetched once for all pages."""

    page_urls: dict[int, str]
    # The file versions each page was approved with: (page id, kind, id) → file.
    approved: dict[tuple[int, str, int], ApprovedFile]
    image_urls: dict[tuple[int, int], str]  # (page id, image id) → address


def fetch_linked(pages: list[Page], request: HttpRequest | None) -> Linked:
    page_ids: set[int] = set()
    for page in pages:
        for block in raw_blocks(page):
            if block["type"] == "paragraph":
                page_ids |= {int(i) for i in ANY_LINK_ID.findall(block["value"])}
    linked = visible_pages(Page.objects.filter(pk__in=page_ids)) if page_ids else []
    approved = approved_files_of(pages)
    return Linked(
        page_urls={page.pk: page.get_full_url(request) for page in linked},
        approved=approved,
        image_urls={
            (page_id, image_id): public_url(image_url(image_id, file.name))
            for (page_id, kind, image_id), file in approved.items()
            if kind == FileKind.IMAGE
        },
    )


def rich_text_html(source: str, linked: Linked) -> str:
    def page_link(match: re.Match) -> str:
        url = linked.page_urls.get(int(match.group(1)))
        return f'<a href="{escape(url)}">' if url else "<a>"

    html = PAGE_LINK.sub(page_link, source)
    html = OTHER_INTERNAL_LINK.sub("<a>", html)
    return EMBED.sub("", html)


def block_html(block: dict, linked: Linked, page_id: int) -> str:
    kind, value = block["type"], block["value"]
    if kind == "paragraph":
        return rich_text_html(value, linked)
    if kind == "image":
        url = linked.image_urls.get((page_id, int(value.get("image") or 0)))
        caption = escape(value.get("caption") or "")
        if url is None:
            return ""
        return (
            f'<figure><img src="{escape(url)}" alt="{caption}">'
            f"<figcaption>{caption}</figcaption></figure>"
        )
    if kind == "quote":
        cite = escape(value.get("attribution") or "")
        text = escape(value["text"])
        return f"<blockquote><p>{text}</p><cite>{cite}</cite></blockquote>"
    if kind == "fact_box":
        facts = "".join(f"<li>{escape(f)}</li>" for f in list_values(value["facts"]))
        return f"<aside><h3>{escape(value['title'])}</h3><ul>{facts}</ul></aside>"
    if kind == "references":
        rows = [reference_html(ref) for ref in list_values(value)]
        return f"<h3>参考来源</h3><ol>{''.join(rows)}</ol>"
    return ""


def reference_html(reference: dict) -> str:
    text = escape(reference["title"])
    if reference.get("publisher"):
        text += f"，{escape(reference['publisher'])}"
    if reference.get("url"):
        text = f'<a href="{escape(reference["url"])}">{text}</a>'
    return f"<li>{text}</li>"


def body_html(page: Page, linked: Linked) -> str:
    if isinstance(page, VideoPage):
        paragraphs = [p for p in page.transcript.splitlines() if p.strip()]
        html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    else:
        html = "".join(block_html(block, linked, page.pk) for block in raw_blocks(page))
    return nh3.clean(html, url_schemes={"http", "https", "mailto"}) if html else ""


def plain_text(html: str) -> str:
    text = strip_tags(BLOCK_BREAK.sub(lambda m: m.group(0) + "\n", html))
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def summary_of(page: Page) -> str:
    return getattr(page, "standfirst", "") or getattr(page, "summary", "") or ""


def in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def local_date(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d}"


def fetch_corrections(pages: list[Page]) -> dict[int, tuple[CorrectionNote, ...]]:
    """page id → the notes its live version shows, newest first, each dated
    by its advisory (one query for all pages); a note without an advisory
    (never announced) is dated by the page's last publication."""
    dates = {
        (page_id, note_id): at
        for page_id, note_id, at in Advisory.objects.filter(
            page_id__in=[page.pk for page in pages],
            kind=Advisory.Kind.CORRECTION,
        ).values_list("page_id", "note_id", "at")
    }
    found = {}
    for page in pages:
        stream = getattr(page, "corrections", None)
        if not stream:
            continue
        fallback = page.last_published_at or page.first_published_at
        notes = [
            CorrectionNote(
                wrong=note["value"]["wrong"],
                right=note["value"]["right"],
                at=in_utc(dates.get((page.pk, note["id"]), fallback)),
            )
            for note in stream.raw_data
            if note["type"] == "correction"
        ]
        found[page.pk] = tuple(sorted(notes, key=lambda n: n.at, reverse=True))
    return found


def enclosure_for(page: Page, linked: Linked) -> Enclosure | None:
    """The media in the version the page was approved with."""
    media = media_of(page)
    approved = media and linked.approved.get((page.pk, FileKind.MEDIA, media.pk))
    if approved is None:
        return None
    facts = media_facts(media, approved.name)
    if facts is None:
        logger.warning("feeds: media file of page %s is missing", page.pk)
        return None
    url = reverse("files:enclosure", args=[page.pk, media.pk, facts.filename])
    thumbnail = None
    if (page.pk, FileKind.THUMBNAIL, media.pk) in linked.approved:
        path = reverse("files:thumbnail", args=[page.pk, media.pk])
        thumbnail = public_url(path)
    return Enclosure(
        url=public_url(url),
        length=facts.length,
        mime_type=facts.mime_type,
        kind=media.type,
        duration_seconds=facts.duration,
        width=facts.width,
        height=facts.height,
        thumbnail_url=thumbnail,
        renditions=feed_renditions(page, media, facts),
    )


def feed_renditions(page: Page, media, facts: MediaFacts) -> tuple[MediaRendition, ...]:
    """The media's exports made from its approved version (prefetched)."""
    exports = current_renditions(media.renditions.all(), {media.pk: facts.version})
    return tuple(rendition_of(page, media, export) for export in exports)


def rendition_of(page: Page, media, export) -> MediaRendition:
    info, name = export.info, PurePosixPath(export.file.name).name
    kind = "video" if info.get("has_video") else "audio"
    path = reverse("files:rendition", args=[page.pk, media.pk, export.pk, name])
    return MediaRendition(
        preset=export.preset,
        label=str(export.preset_label),
        url=public_url(path),
        mime_type=mime_type_of(name, kind),
        length=export.size,
        duration_seconds=info.get("duration"),
        width=info.get("display_width") or info.get("width"),
        height=info.get("display_height") or info.get("height"),
    )


def first_image_url(page: Page, linked: Linked) -> str | None:
    for block in raw_blocks(page):
        if block["type"] == "image":
            image_id = int(block["value"].get("image") or 0)
            return linked.image_urls.get((page.pk, image_id))
    return None


def build_item(
    page: Page,
    request: HttpRequest | None,
    linked: Linked,
    corrections: tuple[CorrectionNote, ...] = (),
) -> FeedItem:
    html = body_html(page, linked)
    enclosure = enclosure_for(page, linked)
    image = enclosure.thumbnail_url if enclosure else first_image_url(page, linked)
    published = page.first_published_at or page.last_published_at
    changes = [published, page.last_published_at or published]
    changes += [note.at for note in corrections]
    return FeedItem(
        guid=item_guid(page.pk),
        page_id=page.pk,
        content_type=content_type_of(page),
        title=page.title,
        link=page.get_full_url(request),
        summary=summary_of(page),
        body_html=html,
        body_text=plain_text(html),
        published=in_utc(published),
        updated=in_utc(max(changes)),
        author=getattr(page, "author", "") or page.source_credit,
        categories=[topic.name for topic in page.topics.all()],
        audiences=[audience.name for audience in page.audiences.all()],
        campaign=page.campaign.name if page.campaign else None,
        image_url=image,
        enclosures=[enclosure] if enclosure else [],
        corrections=corrections,
    )


def prefetch(pages: list[Page]) -> None:
    """Taxonomy and media for every page, a few queries per page type."""
    by_type: dict[type, list[Page]] = defaultdict(list)
    for page in pages:
        by_type[type(page)].append(page)
    for model, group in by_type.items():
        lookups = ["topics", "audiences", "campaign"]
        if model is VideoPage:
            lookups += ["video__probe", "video__renditions"]
        elif model is ColumnEpisodePage:
            lookups += ["audio__probe", "audio__renditions"]
        prefetch_related_objects(group, *lookups)


def build_items(
    pages: Iterable[Page], request: HttpRequest | None = None
) -> list[FeedItem]:
    """Feed items for specific pages (as feed_pages gives them), in order.
    Absolute URLs are at the public address (PUBLIC_BASE_URL)."""
    pages = list(pages)
    prefetch(pages)
    linked = fetch_linked(pages, request)
    corrections = fetch_corrections(pages)
    return [
        build_item(page, request, linked, corrections.get(page.pk, ()))
        for page in pages
    ]
