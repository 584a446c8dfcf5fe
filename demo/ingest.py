"""The demo's upstream feed: one source, switched off, so that the 订阅抓取
menu shows how a source is set up without the demo reaching the network.

It points at this site's own public feed (all published content): switched
on, it runs the whole ingest on a machine with no internet, and its drafts
are plain copies of our own articles, harmless and never published by
themselves. Its note says so, and says what a real source looks like."""

from django.conf import settings
from django.urls import reverse

from cms.pages import ContentIndexPage
from demo import content
from ingest.models import UpstreamFeed

NOTE = (
    "演示用订阅源，默认停用：地址是本站自己的公开订阅源（全部已发布内容），"
    "不需要外网。启用后，工作进程会按间隔抓取，把条目生成为「科普文章」栏目下的草稿"
    "（内容与本站文章相同，仅用于演示抓取、去重和审核流程），不会自动发布。"
    "正式使用时请新建订阅源，填写上游（如科普中国）的 RSS、Atom 或 JSON Feed 地址。"
)


def demo_feed_url() -> str:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return base + reverse("feeds:feed", args=["all", "rss.xml"])


def load_ingest() -> str:
    target = ContentIndexPage.objects.filter(slug=content.ARTICLES_SECTION.slug).first()
    if target is None:
        return "upstream feeds: no articles section, none created"
    _feed, created = UpstreamFeed.objects.get_or_create(
        url=demo_feed_url(),
        defaults={
            "title": "本站公开订阅源（演示）",
            "active": False,
            "poll_interval_minutes": 60,
            "target": target,
            "credit": "科普全媒体（演示）",
            "note": NOTE,
        },
    )
    return f"upstream feeds: created {int(created)}"
