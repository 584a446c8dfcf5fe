"""Shared fixtures: a site tree, taxonomy, the two roles of the review workflow
and factories that create content through that workflow."""

import shutil
from datetime import timedelta
from pathlib import Path

import ffmpeg
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import Page, Site
from wagtail.test.utils.form_data import (
    inline_formset,
    nested_form_data,
    rich_text,
    streamfield,
)

from cms.pages import (
    ArticlePage,
    ColumnEpisodePage,
    ColumnPage,
    ContentIndexPage,
    HomePage,
)
from cms.review import REVIEW_GROUP_NAME, approve_review, submit_for_review
from cms.snippets import Audience, Campaign, Expert, Topic
from media_pipeline.tasks import request_export

pytest_plugins = [
    "tests.browser",
    "tests.feeds.fixtures",
    "tests.ingest.fixtures",
    "tests.organisation_fixtures",
    "tests.screens.fixtures",
    "tests.webhooks",
]


def pytest_sessionfinish(session) -> None:
    """The run's first process, after every worker has finished, removes the
    demo files the run rendered (cms.settings.test.DEMO_RENDER_CACHE)."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(settings.DEMO_RENDER_CACHE, ignore_errors=True)


@pytest.fixture
def home(db) -> HomePage:
    root = Page.objects.get(depth=1)
    home = root.add_child(instance=HomePage(title="科普全媒体", slug="kepu-home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home},
    )
    return home


@pytest.fixture
def articles_index(home) -> ContentIndexPage:
    return home.add_child(instance=ContentIndexPage(title="科普文章", slug="articles"))


@pytest.fixture
def radio_column(home) -> ColumnPage:
    column = ColumnPage(
        title="科学五分钟",
        slug="kexue-wufenzhong",
        channel=ColumnPage.Channel.RADIO,
        outlet_name="FM 91.6 交通广播",
        cadence="每周四 07:30",
    )
    return home.add_child(instance=column)


@pytest.fixture
def expert(db) -> Expert:
    return Expert.objects.create(
        name="周明", field="公共卫生", organisation="省疾控中心"
    )


@pytest.fixture
def topic(db) -> Topic:
    return Topic.objects.create(name="公共卫生", slug="public-health")


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(
        name="全国科普日",
        slug="quanguo-kepuri-2026",
        start_date="2026-09-15",
        end_date="2026-09-21",
    )


@pytest.fixture
def editor(db) -> User:
    return User.objects.create_user("bianji", "bianji@example.org", "pw")


@pytest.fixture
def reviewer(db) -> User:
    user = User.objects.create_user("shenhe", "shenhe@example.org", "pw")
    user.groups.add(Group.objects.get(name=REVIEW_GROUP_NAME))
    return user


@pytest.fixture
def other_reviewer(db) -> User:
    """A second 科学审核 member: four eyes need two reviewers."""
    user = User.objects.create_user("fuhe", "fuhe@example.org", "pw")
    user.groups.add(Group.objects.get(name=REVIEW_GROUP_NAME))
    return user


@pytest.fixture
def review_and_publish(editor, reviewer):
    """Save a revision, submit it and approve it: the only way content goes live."""

    def publish(page):
        page.save_revision(user=editor)
        submit_for_review(page, editor)
        approve_review(page, reviewer, comment="内容准确")
        page.refresh_from_db()
        return page

    return publish


@pytest.fixture
def make_article(articles_index, expert, topic, review_and_publish):
    def make(publish: bool = True, **fields) -> ArticlePage:
        fields.setdefault("title", "疫苗是怎样起作用的")
        fields.setdefault("standfirst", "接种疫苗后，身体会记住病原体的样子。")
        fields.setdefault("author", "李青")
        fields.setdefault("source_credit", "省科协")
        fields.setdefault(
            "body", [("paragraph", "<p>免疫系统像一支训练有素的队伍。</p>")]
        )
        fields.setdefault("reviewing_expert", expert)
        page = articles_index.add_child(instance=ArticlePage(live=False, **fields))
        page.topics.add(topic)
        page.audiences.add(Audience.objects.get(slug="elderly"))
        return review_and_publish(page) if publish else page

    return make


@pytest.fixture
def make_episode(radio_column, expert, review_and_publish):
    def make(number: int, publish: bool = True, **fields) -> ColumnEpisodePage:
        fields.setdefault("title", f"第{number}期：台风来了怎么办")
        fields.setdefault("source_credit", "省气象局")
        fields.setdefault("body", [("paragraph", "<p>台风来临前，储备饮用水。</p>")])
        fields.setdefault("reviewing_expert", expert)
        episode = ColumnEpisodePage(number=number, live=False, **fields)
        page = radio_column.add_child(instance=episode)
        return review_and_publish(page) if publish else page

    return make


@pytest.fixture
def article_form(expert):
    """POST data of the admin's article form, valid unless overridden."""

    def form(**overrides) -> dict:
        data = {
            "title": "地震来了怎么办",
            "slug": "dizhen",
            "standfirst": "伏地、遮挡、手抓牢。",
            "author": "王林",
            "source_credit": "省地震局",
            "reviewing_expert": expert.pk,
            "body": streamfield([("paragraph", rich_text("<p>保持冷静。</p>"))]),
            "corrections": streamfield([]),
            "comments": inline_formset([]),
            **overrides,
        }
        return nested_form_data(data)

    return form


@pytest.fixture
def announcing(django_capture_on_commit_callbacks):
    """Run what a correction or withdrawal announces at commit, as the
    worker would: `with announcing(): withdraw(page)`."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def make_outlet(db):
    from channels.models import Outlet

    def make(channel: str = "newspaper", **fields) -> Outlet:
        fields.setdefault("name", f"测试{channel}栏目")
        fields.setdefault(
            "organisation", "吉林日报" if channel == "newspaper" else "FM 91.6"
        )
        outlet = Outlet(channel=channel, **fields)
        outlet.full_clean()
        outlet.save()
        return outlet

    return make


@pytest.fixture
def make_placement(db):
    from channels.models import Placement

    def make(page, outlet, scheduled_at=None, **fields) -> Placement:
        placement = Placement(
            page=page,
            outlet=outlet,
            scheduled_at=scheduled_at or timezone.now() + timedelta(minutes=5),
            **fields,
        )
        placement.full_clean()
        placement.save()
        return placement

    return make


SHORT_EPISODE = [("paragraph", "<p>台风来临前，储备饮用水，检查门窗。</p>")]


def make_due(placement) -> None:
    type(placement).objects.filter(pk=placement.pk).update(
        scheduled_at=timezone.now() - timedelta(seconds=1), next_attempt_at=None
    )


@pytest.fixture
def folder_outlet(make_outlet, tmp_path):
    return make_outlet(
        "radio",
        name="科学五分钟",
        spec={"slot_seconds": 300},
        delivery="folder",
        delivery_target=str(tmp_path / "drop"),
    )


@pytest.fixture
def due_placement(make_episode, folder_outlet, make_placement):
    placement = make_placement(make_episode(1, body=SHORT_EPISODE), folder_outlet)
    make_due(placement)
    return placement


@pytest.fixture
def make_clip(tmp_path):
    """Write a short test clip: testsrc2 video and/or a sine tone."""

    def make(
        name: str = "clip.mp4",
        *,
        size: str = "320x180",
        rate: int = 25,
        seconds: float = 2,
        video: bool = True,
        audio: bool = True,
        **output,
    ) -> Path:
        path = tmp_path / name
        streams = []
        if video:
            source = f"testsrc2=size={size}:rate={rate}"
            streams.append(ffmpeg.input(source, f="lavfi", t=seconds))
            output.setdefault("vcodec", "libx264")
            output.setdefault("preset", "ultrafast")
            output.setdefault("pix_fmt", "yuv420p")
        if audio:
            tone = "sine=frequency=440:sample_rate=48000"
            streams.append(ffmpeg.input(tone, f="lavfi", t=seconds))
            output.setdefault("acodec", "aac")
        ffmpeg.output(*streams, str(path), **output).overwrite_output().run(quiet=True)
        return path

    return make


@pytest.fixture
def run_export(django_capture_on_commit_callbacks, admin_user):
    """Ask for an export as the admin does; queued jobs run on commit."""

    def run(media, subtitles, preset="douyin", **options):
        options.setdefault("reframe", "blur")
        options.setdefault("title", media.title)
        with django_capture_on_commit_callbacks(execute=True):
            request = request_export(
                media,
                preset,
                options["reframe"],
                options["title"],
                subtitles,
                admin_user,
            )
        if request.job is not None:
            request.job.refresh_from_db()
        return request

    return run


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached pages and feeds are keyed by database state that a later test
    can repeat after a rollback (SQLite reuses ids): each test starts empty."""
    cache.clear()


@pytest.fixture(autouse=True)
def screens_unknown():
    """The screens' fast path keeps entries under a reading of database state
    that a later test can repeat after a rollback: each test starts without."""
    from screens.fast_path import HEARTBEATS, forget_everything

    forget_everything()
    HEARTBEATS.drain()
