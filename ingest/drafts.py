"""Turning new upstream entries into draft pages under the feed's target.

An entry already taken from this feed (same GUID), or from any feed under the
same link, is skipped: a draft is never created twice nor overwritten, however
an editor has changed it. A draft is saved with a revision and never
published here; it goes live only through the 科学审核 workflow, where the
editor also names its reviewing expert."""

from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import Page

from cms.pages import ArticlePage, ColumnEpisodePage, ColumnPage, ContentIndexPage
from ingest.fetch import IngestError
from ingest.models import IngestedEntry, UpstreamFeed
from ingest.parse import UpstreamEntry
from ingest.sanitise import CleanHtml, plain_text, sanitise, shorten

TITLE_LENGTH = Page._meta.get_field("title").max_length
STANDFIRST_LENGTH = 300
AUTHOR_LENGTH = ArticlePage._meta.get_field("author").max_length
REFERENCE_TITLE_LENGTH = 200
# Left for the editor to choose when submitting the draft for review.
CHOSEN_AT_REVIEW = {"reviewing_expert"}


@dataclass
class IngestResult:
    created: int = 0
    duplicates: int = 0
    left_for_later: int = 0
    problems: list[str] = field(default_factory=list)


def max_new_per_poll() -> int:
    return settings.INGEST_MAX_NEW_PER_POLL


def target_of(feed: UpstreamFeed) -> Page:
    target = feed.target.specific if feed.target_id else None
    if not isinstance(target, (ContentIndexPage, ColumnPage)):
        raise IngestError(_("没有设置草稿存放位置（栏目或专栏），或该页面已被删除"))
    return target


def ingest(
    feed: UpstreamFeed, target: Page, entries: list[UpstreamEntry]
) -> IngestResult:
    """Draft pages for the entries not seen before, newest first up to
    max_new_per_poll() (the rest are left for the next poll); in the feed's
    order reversed, so that older entries get the lower episode numbers."""
    result = IngestResult()
    fresh = new_entries(feed, entries, result)
    result.left_for_later = max(0, len(fresh) - max_new_per_poll())
    for entry in reversed(fresh[: max_new_per_poll()]):
        try:
            with transaction.atomic():
                create_draft(feed, target, entry)
        except IntegrityError:
            result.duplicates += 1  # a concurrent poll took it first
        except ValidationError as error:
            result.problems.append(
                _("「%(title)s」未能生成草稿：%(error)s")
                % {"title": plain_text(entry.title), "error": "；".join(error.messages)}
            )
        else:
            result.created += 1
    return result


def new_entries(
    feed: UpstreamFeed, entries: list[UpstreamEntry], result: IngestResult
) -> list[UpstreamEntry]:
    """The entries never ingested. One whose link was ingested (from any feed)
    under another GUID is recorded against the same draft and skipped."""
    guids = [entry.guid for entry in entries]
    links = [entry.link for entry in entries if entry.link]
    seen_guids = set(
        IngestedEntry.objects.filter(feed=feed, guid__in=guids).values_list(
            "guid", flat=True
        )
    )
    seen_links = dict(
        IngestedEntry.objects.filter(link__in=links)
        .order_by("fetched_at")
        .values_list("link", "page_id")
    )
    fresh: list[UpstreamEntry] = []
    fresh_links: set[str] = set()
    for entry in entries:
        if entry.guid in seen_guids:
            continue
        seen_guids.add(entry.guid)
        if entry.link in seen_links or entry.link in fresh_links:
            record_duplicate(feed, entry, seen_links.get(entry.link))
            result.duplicates += 1
            continue
        if entry.link:
            fresh_links.add(entry.link)
        fresh.append(entry)
    return fresh


def record_duplicate(feed: UpstreamFeed, entry: UpstreamEntry, page_id) -> None:
    IngestedEntry.objects.get_or_create(
        feed=feed,
        guid=entry.guid,
        defaults={
            "link": entry.link,
            "title": shorten(plain_text(entry.title), TITLE_LENGTH),
            "page_id": page_id,
            "published_at": entry.published_at,
            "duplicate": True,
        },
    )


def create_draft(feed: UpstreamFeed, target: Page, entry: UpstreamEntry) -> Page:
    body_html = sanitise(entry.content_html or entry.summary_html, entry.link)
    page = draft_page(feed, target, entry, body_html)
    page.topics.set(feed.topics.all())
    target.add_child(instance=page)
    check_draft(page)
    page.save_revision(clean=False, log_action=True)
    IngestedEntry.objects.create(
        feed=feed,
        guid=entry.guid,
        link=entry.link,
        title=page.title,
        page=page,
        published_at=entry.published_at,
        images_dropped=body_html.images_dropped,
    )
    return page


def draft_page(
    feed: UpstreamFeed, target: Page, entry: UpstreamEntry, body_html: CleanHtml
) -> Page:
    standfirst = plain_text(entry.summary_html) or plain_text(body_html.html)
    title = (
        plain_text(entry.title)
        or shorten(standfirst, 40)
        or shorten(entry.link, TITLE_LENGTH)
        or _("（无标题）")
    )
    title = shorten(title, TITLE_LENGTH)
    fields = {
        "title": title,
        "standfirst": shorten(standfirst or title, STANDFIRST_LENGTH),
        "source_credit": feed.credit,
        "body": draft_body(
            feed, entry, title, body_html.html or f"<p>{escape(title)}</p>"
        ),
        "live": False,
    }
    if not slugify(title, allow_unicode=True):
        fields["slug"] = f"ingest-{timezone.now():%Y%m%d%H%M%S%f}"
    if isinstance(target, ColumnPage):
        return ColumnEpisodePage(number=next_episode_number(target), **fields)
    author = shorten(plain_text(entry.author), AUTHOR_LENGTH) or feed.credit
    return ArticlePage(author=author, **fields)


def draft_body(
    feed: UpstreamFeed, entry: UpstreamEntry, title: str, html: str
) -> list[dict]:
    """The text as one rich-text block, then the original as a reference:
    its title and publication date, the feed's credit and its link."""
    reference = {
        "title": shorten(
            original_title(title, entry.published_at), REFERENCE_TITLE_LENGTH
        ),
        "publisher": feed.credit,
        "url": entry.link,
    }
    return [
        {"type": "paragraph", "value": html},
        {
            "type": "references",
            "value": [{"type": "item", "value": reference, "id": str(uuid4())}],
        },
    ]


def original_title(title: str, published_at: datetime | None) -> str:
    if published_at is None:
        return _("原文：%(title)s") % {"title": title}
    when = date_format(timezone.localtime(published_at), "Y-m-d H:i")
    return _("原文：%(title)s（%(when)s 发布）") % {"title": title, "when": when}


def next_episode_number(column: ColumnPage) -> int:
    numbers = ColumnEpisodePage.objects.child_of(column).aggregate(Max("number"))
    return (numbers["number__max"] or 0) + 1


def check_draft(page: Page) -> None:
    """Validate the draft as the admin would, but for the fields the editor
    fills in before review."""
    try:
        page.full_clean()
    except ValidationError as error:
        remaining = {
            name: messages
            for name, messages in error.message_dict.items()
            if name not in CHOSEN_AT_REVIEW
        }
        if remaining:
            raise ValidationError(remaining) from error
