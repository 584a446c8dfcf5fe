"""Loads the demo (demo.content) the only way content goes live here: every
page is saved by the demo editor, submitted to 科学审核 and approved by the demo
reviewer, except the few left awaiting review or scheduled to go live.

Idempotent: objects are found by slug, unique name or file name and created
only when missing; files already in storage are reused, not regenerated.
"""

import itertools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from html import escape

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page, Revision, Site, WorkflowState
from wagtail.search.index import insert_or_update_object
from wagtail.utils.file import hash_filelike
from wagtailmedia.models import get_media_model

from cms.pages import (
    ArticlePage,
    ColumnEpisodePage,
    ColumnPage,
    ContentIndexPage,
    HomePage,
    VideoPage,
)
from cms.public_address import site_address, sync_default_site
from cms.review import REVIEW_GROUP_NAME, approve_review, submit_for_review
from cms.snippets import Audience, Campaign, Expert, Topic
from demo import content, media
from media_pipeline.models import local_path

EDITORS_GROUP_NAME = "Editors"  # created by Wagtail's own migrations
CONTENT_TYPES = (ArticlePage, VideoPage, ColumnEpisodePage)

# Page bodies and fields -------------------------------------------------------


def rich_text(block: content.Para | content.Heading) -> str:
    tag = "h2" if isinstance(block, content.Heading) else "p"
    return f"<{tag}>{escape(block.text, quote=False)}</{tag}>"


def structured_block(block: content.Block, image: models.Model | None) -> tuple:
    match block:
        case content.Figure(caption=caption):
            return "image", {"image": image, "caption": caption}
        case content.Facts(title=title, items=items):
            return "fact_box", {"title": title, "facts": list(items)}
        case content.Quote(text=text, attribution=attribution):
            return "quote", {"text": text, "attribution": attribution}
        case content.Refs(items=refs):
            return "references", [vars(ref) for ref in refs]
    raise TypeError(f"not a body block: {block!r}")


def stream_blocks(body: tuple[content.Block, ...], image: models.Model | None) -> list:
    """StreamField data for a body; consecutive paragraphs and headings become
    one rich-text block, as an editor would write them."""
    blocks: list[tuple] = []
    text: list[str] = []
    for block in body:
        if isinstance(block, content.Para | content.Heading):
            text.append(rich_text(block))
            continue
        if text:
            blocks.append(("paragraph", "".join(text)))
            text = []
        blocks.append(structured_block(block, image))
    if text:
        blocks.append(("paragraph", "".join(text)))
    return blocks


def go_live_at(days: int | None) -> datetime | None:
    if days is None:
        return None
    morning = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    return morning + timedelta(days=days)


def file_facts(name: str) -> dict[str, object]:
    with default_storage.open(name) as stored:
        return {
            "file_size": default_storage.size(name),
            "file_hash": hash_filelike(stored),
        }


def probe_facts(name: str) -> dict[str, object]:
    with local_path(default_storage, name) as path:
        probed = media.probe(path)
    return {"duration": probed.duration, "width": probed.width, "height": probed.height}


# Site -------------------------------------------------------------------------


def make_default_site_root(home: HomePage) -> None:
    """Serve the home page on every host (the public address included): it
    becomes the default site's root, and Wagtail's initial Welcome page goes."""
    hostname, port = site_address()
    site = Site.objects.filter(is_default_site=True).first() or Site(
        hostname=hostname, port=port, is_default_site=True
    )
    if site.pk is None or site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = site.site_name or content.HOME.title
        site.save()
    sync_default_site()
    Page.objects.filter(
        depth=2,
        slug="home",
        numchild=0,
        content_type=ContentType.objects.get_for_model(Page),
        sites_rooted_here__isnull=True,
    ).delete()


class DemoLoader:
    def __init__(self) -> None:
        self.created: Counter[str] = Counter()
        self.comments = itertools.cycle(content.REVIEW_COMMENTS)
        self.editor = self.user("kepu_editor", "林", "晓雯", EDITORS_GROUP_NAME)
        self.reviewer = self.user("kepu_reviewer", "郑", "国华", REVIEW_GROUP_NAME)
        self.topics: dict[str, Topic] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.experts: dict[str, Expert] = {}
        self.audiences = {
            audience.slug: audience for audience in Audience.objects.all()
        }

    def load(self) -> HomePage:
        self.load_taxonomy()
        home = HomePage.objects.first() or self.add_page(
            Page.get_first_root_node(),
            HomePage(title=content.HOME.title, introduction=content.HOME.introduction),
            content.HOME.slug,
        )
        make_default_site_root(home)
        articles = self.section(home, content.ARTICLES_SECTION)
        for article in content.ARTICLES:
            self.ensure(articles, article.slug, partial(self.article, article), article)
        videos = self.section(home, content.VIDEOS_SECTION)
        for video in content.VIDEOS:
            self.ensure(videos, video.slug, partial(self.video, video), video)
        for column_data in content.COLUMNS:
            column = self.column(home, column_data)
            for episode in column_data.episodes:
                with_audio = column_data.audio_seconds > 0
                build = partial(self.episode, episode, with_audio)
                self.ensure(column, episode.slug, build, episode)
        return home

    # Users and snippets

    def user(
        self, username: str, last_name: str, first_name: str, group: str
    ) -> models.Model:
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"last_name": last_name, "first_name": first_name},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=group))
            self.created["users"] += 1
        return user

    def snippet(
        self, model: type[models.Model], kind: str, lookup: dict, **defaults
    ) -> models.Model:
        obj, created = model.objects.get_or_create(**lookup, defaults=defaults)
        self.created[kind] += created
        return obj

    def load_taxonomy(self) -> None:
        for t in content.TOPICS:
            parent = self.topics.get(t.parent or "")
            self.topics[t.slug] = self.snippet(
                Topic, "topics", {"slug": t.slug}, name=t.name, parent=parent
            )
        for c in content.CAMPAIGNS:
            self.campaigns[c.slug] = self.snippet(
                Campaign,
                "campaigns",
                {"slug": c.slug},
                name=c.name,
                start_date=c.start,
                end_date=c.end,
                description=c.description,
            )
        for e in content.EXPERTS:
            self.experts[e.name] = self.snippet(
                Expert,
                "experts",
                {"name": e.name, "organisation": e.organisation},
                field=e.field,
                title=e.title,
            )

    # Pages and the review workflow

    def ensure(
        self,
        parent: Page,
        slug: str,
        build: Callable[[], Page],
        item: content.Item | None = None,
    ) -> Page:
        existing = parent.get_children().filter(slug=slug).first()
        if existing is not None:
            return existing.specific
        return self.add_page(parent, build(), slug, item)

    def add_page(
        self, parent: Page, page: Page, slug: str, item: content.Item | None = None
    ) -> Page:
        page.slug, page.live, page.owner = slug, False, self.editor
        parent.add_child(instance=page)
        self.created["content items" if item else "pages"] += 1
        self.review(page, item)
        return page

    def review(self, page: Page, item: content.Item | None) -> None:
        """Save, submit and (unless the item waits for review) approve: on
        approval the workflow publishes, or schedules a future go_live_at."""
        page.save_revision(user=self.editor)
        submit_for_review(page, self.editor)
        if item is None or not item.in_review:
            approve_review(page, self.reviewer, comment=next(self.comments))

    def section(self, home: HomePage, data: content.SectionData) -> ContentIndexPage:
        page = ContentIndexPage(title=data.title, introduction=data.introduction)
        return self.ensure(home, data.slug, lambda: page)

    def column(self, home: HomePage, data: content.ColumnData) -> ColumnPage:
        page = ColumnPage(
            title=data.title,
            channel=data.channel,
            outlet_name=data.outlet_name,
            cadence=data.cadence,
            description=data.description,
        )
        return self.ensure(home, data.slug, lambda: page)

    def common_fields(self, item: content.Item) -> dict[str, object]:
        return {
            "title": item.title,
            "topics": [self.topics[slug] for slug in item.topics],
            "audiences": [self.audiences[slug] for slug in item.audiences],
            "campaign": self.campaigns[item.campaign] if item.campaign else None,
            "source_credit": item.credit,
            "reviewing_expert": self.experts[item.expert],
            "go_live_at": go_live_at(item.go_live_in_days),
        }

    def body(self, item: content.Article | content.Episode) -> list:
        image = self.image(item) if media.has_figure(item) else None
        return stream_blocks(item.body, image)

    def article(self, item: content.Article) -> ArticlePage:
        return ArticlePage(
            standfirst=item.standfirst,
            author=item.author,
            body=self.body(item),
            **self.common_fields(item),
        )

    def video(self, item: content.Video) -> VideoPage:
        return VideoPage(
            summary=item.summary,
            video=self.video_media(item),
            transcript=item.transcript,
            subtitles=self.subtitles(item),
            **self.common_fields(item),
        )

    def episode(self, item: content.Episode, with_audio: bool) -> ColumnEpisodePage:
        return ColumnEpisodePage(
            number=item.number,
            standfirst=item.standfirst,
            body=self.body(item),
            audio=self.audio_media(item) if with_audio else None,
            **self.common_fields(item),
        )

    # Records over the stored files

    def stored(
        self,
        model: type[models.Model],
        kind: str,
        name: str,
        facts: Callable[[str], dict[str, object]],
        **fields,
    ) -> models.Model:
        """The record of a stored file, created with the facts read from the
        file (size and hash, or probed duration) when missing."""
        obj = model.objects.filter(file=name).first()
        if obj is None:
            obj = model.objects.create(
                file=name, uploaded_by_user=self.editor, **fields, **facts(name)
            )
            self.created[kind] += 1
        return obj

    def image(self, item: content.Item) -> models.Model:
        name = media.stored_name("card", item.slug)
        return self.stored(
            get_image_model(), "images", name, file_facts, title=item.title
        )

    def subtitles(self, item: content.Video) -> models.Model:
        name = media.stored_name("subtitles", item.slug)
        title = f"{item.title}（中文字幕）"
        return self.stored(
            get_document_model(), "documents", name, file_facts, title=title
        )

    def video_media(self, item: content.Video) -> models.Model:
        return self.stored(
            get_media_model(),
            "media",
            media.stored_name("video", item.slug),
            probe_facts,
            title=item.title,
            type="video",
            thumbnail=media.stored_name("thumbnail", item.slug),
        )

    def audio_media(self, item: content.Episode) -> models.Model:
        name = media.stored_name("audio", item.slug)
        return self.stored(
            get_media_model(),
            "media",
            name,
            probe_facts,
            title=item.title,
            type="audio",
        )


# Search index and report ------------------------------------------------------


def reindex(home: HomePage) -> int:
    """Index the demo now rather than leave it to the background worker, so
    that search works as soon as the load is done."""
    folder = {kind: place for kind, (place, _suffix) in media.STORED.items()}
    objects = [
        *home.get_descendants(inclusive=True).specific(),
        *Topic.objects.filter(slug__in=[topic.slug for topic in content.TOPICS]),
        *Expert.objects.filter(name__in=[expert.name for expert in content.EXPERTS]),
        *get_image_model().objects.filter(file__startswith=folder["card"]),
        *get_media_model().objects.filter(file__startswith=folder["video"]),
        *get_document_model().objects.filter(file__startswith=folder["subtitles"]),
    ]
    for obj in objects:
        insert_or_update_object(obj)
    return len(objects)


def totals() -> dict[str, int]:
    items = Page.objects.type(*CONTENT_TYPES)
    in_review = WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS)
    scheduled = Revision.page_revisions.filter(approved_go_live_at__isnull=False)
    return {
        "content items": items.count(),
        "live": items.live().count(),
        "awaiting review": in_review.count(),
        "scheduled": scheduled.count(),
        "columns": ColumnPage.objects.count(),
        "topics": Topic.objects.count(),
        "campaigns": Campaign.objects.count(),
        "experts": Expert.objects.count(),
        "images": get_image_model().objects.count(),
        "media": get_media_model().objects.count(),
        "documents": get_document_model().objects.count(),
    }


@dataclass(frozen=True)
class Report:
    created: Counter[str]
    files_generated: int
    indexed: int
    seconds: float
    totals: dict[str, int]

    def summary(self) -> str:
        t = self.totals
        now = (
            f"{t['content items']} content items ({t['live']} live, "
            f"{t['awaiting review']} awaiting review, {t['scheduled']} scheduled), "
            f"{t['columns']} columns, {t['topics']} topics, {t['campaigns']} "
            f"campaigns, {t['experts']} experts, {t['images']} images, "
            f"{t['media']} media, {t['documents']} documents; "
            f"{self.indexed} objects indexed"
        )
        if not self.created and not self.files_generated:
            return f"demo already loaded, nothing created ({self.seconds:.1f} s): {now}"
        created = ", ".join(f"{n} {kind}" for kind, n in self.created.items())
        return (
            f"demo loaded in {self.seconds:.1f} s: created {created or 'no records'}, "
            f"generated {self.files_generated} media files. Now {now}"
        )


def load_demo() -> Report:
    started = time.monotonic()
    generated = media.store_missing(media.demo_assets())
    with transaction.atomic():
        loader = DemoLoader()
        home = loader.load()
        indexed = reindex(home)
    seconds = time.monotonic() - started
    return Report(+loader.created, generated, indexed, seconds, totals())
