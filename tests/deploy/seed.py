"""The content the deployment test starts from, written by a process of the
deployment itself (`manage.py shell -c "from tests.deploy.seed import seed;
seed(...)"`): a site, an editor and a reviewer, a radio column with live
episodes placed on a webhook outlet and a folder outlet (not due yet), and
an article waiting for review. Prints the ids the test needs as JSON."""

import json
import sys
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.utils import timezone
from wagtail.models import Page, Site

from channels.models import Outlet, Placement
from cms.pages import (
    ArticlePage,
    ColumnEpisodePage,
    ColumnPage,
    ContentIndexPage,
    HomePage,
)
from cms.review import REVIEW_GROUP_NAME, approve_review, submit_for_review
from cms.snippets import Expert

REVIEWER_PASSWORD = "shenhe-deploy"
LATER = timedelta(days=1)


def seed(webhook_url: str, drop_folder: str) -> None:
    home = Page.objects.get(depth=1).add_child(
        instance=HomePage(title="科普全媒体", slug="kepu-home")
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home},
    )
    expert = Expert.objects.create(name="周明", field="气象", organisation="省气象局")
    editor = User.objects.create_user("bianji", "bianji@example.org", "bianji")
    editor.groups.add(Group.objects.get(name="Editors"))
    reviewer = User.objects.create_user(
        "shenhe", "shenhe@example.org", REVIEWER_PASSWORD
    )
    reviewer.groups.add(Group.objects.get(name=REVIEW_GROUP_NAME))

    def reviewed(page, approve: bool = True):
        page.save_revision(user=editor)
        submit_for_review(page, editor)
        if approve:
            approve_review(page, reviewer, comment="内容准确")
        page.refresh_from_db()
        return page

    column = home.add_child(
        instance=ColumnPage(
            title="科学五分钟",
            slug="kexue-wufenzhong",
            channel=ColumnPage.Channel.RADIO,
            outlet_name="FM 91.6",
            cadence="每周四 07:30",
        )
    )
    episodes = [
        reviewed(
            column.add_child(
                instance=ColumnEpisodePage(
                    number=number,
                    live=False,
                    title=f"第{number}期：台风来了怎么办",
                    source_credit="省气象局",
                    reviewing_expert=expert,
                    body=[("paragraph", "<p>台风来临前，储备饮用水，检查门窗。</p>")],
                )
            )
        )
        for number in (1, 2)
    ]
    outlets = {
        "webhook": Outlet.objects.create(
            channel="radio",
            name="合作电台",
            organisation="FM 91.6",
            spec={"slot_seconds": 300},
            delivery="webhook",
            delivery_target=webhook_url,
            delivery_secret="partner-secret",
        ),
        "folder": Outlet.objects.create(
            channel="radio",
            name="交通广播",
            organisation="FM 91.6",
            spec={"slot_seconds": 300},
            delivery="folder",
            delivery_target=drop_folder,
        ),
    }
    placements = {
        f"{name}-{episode.number}": Placement.objects.create(
            page=episode, outlet=outlet, scheduled_at=timezone.now() + LATER
        ).pk
        for episode in episodes
        for name, outlet in outlets.items()
    }

    index = home.add_child(instance=ContentIndexPage(title="科普文章", slug="articles"))
    article = reviewed(
        index.add_child(
            instance=ArticlePage(
                live=False,
                title="地震来了怎么办",
                slug="dizhen",
                standfirst="伏地、遮挡、手抓牢。",
                author="王林",
                source_credit="省地震局",
                reviewing_expert=expert,
                body=[("paragraph", "<p>伏地、遮挡、手抓牢。</p>")],
            )
        ),
        approve=False,
    )
    sys.stdout.write(
        json.dumps(
            {
                "placements": placements,
                "article": {
                    "id": article.pk,
                    "path": "/" + article.url_path.removeprefix(home.url_path),
                    "task_state": article.current_workflow_task_state.pk,
                },
            }
        )
    )
