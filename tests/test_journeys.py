"""The four journeys of the people the product is for, each walked in real
Chromium against the live server as that person would: an editor (with the
reviewer who approves the item), a screen operator and a partner's
developer. On every page a journey visits, nothing is logged to the console
as an error and no label is left in English (tests.chinese); each key page
is kept as a screenshot under JOURNEY_SCREENSHOTS (default
/tmp/kepu-journeys) to be looked at."""

import os
import re
from datetime import timedelta
from pathlib import Path
from pprint import pformat

import feedparser
import pytest
import requests
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import Page, expect
from wagtail.models import Page as WagtailPage

from channels.models import Placement
from channels.queue import enqueue_due_placements
from cms.review import REVIEW_GROUP_NAME
from feeds.views import FORMATS
from partners.models import Partner
from screens.models import PlaylistItem, Screen, ScreenGroup
from tests.browser import log_in
from tests.chinese import SEEN_HTML, latin_only_labels
from tests.organisation_fixtures import staff_of
from tiers.push import push, recipients

SCREENSHOTS = Path(os.environ.get("JOURNEY_SCREENSHOTS", "/tmp/kepu-journeys"))
VIEWPORT = {"width": 1400, "height": 1000}
TITLE = "秋冬季节如何预防流感"
STANDFIRST = "流感病毒在秋冬季节活跃，接种疫苗、勤洗手、戴口罩是最有效的预防办法。"
BODY = "老人和儿童是流感的高危人群，每年秋季接种流感疫苗可以大大降低重症风险。"
LONGER = "出现发热、咳嗽等症状时，应及时就医，不要自行服用抗生素。" * 4

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Walk:
    """One person's walk: the console errors of every page, the labels left
    in English on each page looked at, and its screenshots."""

    def __init__(self, page: Page, journey: str, data: set[str]):
        self.page, self.journey, self.data = page, journey, data
        self.errors: list[str] = []
        self.english: dict[str, set[str]] = {}
        self.shots: list[Path] = []
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"{self.page.url}: {message.text}")

    def look(self, step: str, admin: bool = True) -> None:
        """The page as it is now: a screenshot and, on an admin page, its
        labels checked (the API docs are ReDoc's, whose own controls
        ReDoc offers only in English)."""
        self.page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.journey}-{len(self.shots) + 1:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        if not admin:
            return
        html = self.page.evaluate(SEEN_HTML)
        if found := latin_only_labels(html, self.data):
            self.english[f"{step} ({self.page.url})"] = found

    def finish(self) -> None:
        assert self.errors == [], "\n".join(self.errors)
        assert self.english == {}, pformat(self.english)


def person(browser, live_server, username: str, journey: str, data=()) -> Walk:
    page = browser.new_context(locale="zh-CN", viewport=VIEWPORT).new_page()
    log_in(page, live_server.url, username)
    return Walk(page, journey, {username, *data})


# The editor, and the reviewer who approves ----------------------------------------


@pytest.fixture
def desk(make_outlet, make_episode, tmp_path):
    """A newspaper column of 150±50 字 and a radio slot delivered to a
    folder, and a radio episode whose delivery failed yesterday while the
    folder could not be written."""
    paper = make_outlet(
        "newspaper", name="求证·科学", spec={"target_chars": 150, "tolerance": 50}
    )
    radio = make_outlet(
        "radio",
        name="科普早班车",
        spec={"slot_seconds": 300},
        delivery="folder",
        delivery_target=str(tmp_path / "drop"),
    )
    failed = Placement.objects.create(  # in the past: as it was planned then
        page=make_episode(1),
        outlet=radio,
        scheduled_at=timezone.now() - timedelta(days=1),
        status=Placement.Status.FAILED,
        error="投递目录暂时无法写入",
    )
    return paper, radio, failed


def staff(username: str, group: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", "pw")
    user.last_name, user.first_name = username[:1], username[1:]
    user.save()
    user.groups.add(Group.objects.get(name=group))
    return user


def write_article(walk: Walk, live_server, index, expert) -> int:
    page = walk.page
    page.goto(f"{live_server.url}/admin/pages/add/cms/articlepage/{index.pk}/")
    walk.look("new-article")
    page.fill("#id_title", TITLE)
    page.press("#id_title", "Tab")  # the slug follows the title
    page.fill("#id_standfirst", STANDFIRST)
    page.fill("#id_author", "王林")
    page.fill("#id_source_credit", "省疾控中心")
    page.eval_on_selector(
        "#id_reviewing_expert", "(input, pk) => { input.value = pk; }", expert.pk
    )
    body = page.locator("[data-contentpath='body']")
    body.locator("button[title='插入块']").first.click()
    page.get_by_role("option", name="正文").click()
    body.locator("[contenteditable=true]").first.click()
    page.keyboard.type(BODY)
    # Draftail writes the text into the form's input a moment after typing.
    page.wait_for_function(
        "document.querySelector('[name=\"body-0-value\"]').value.includes('高危人群')"
    )
    with page.expect_navigation():
        page.locator("button.action-save").first.click()
    expect(page.locator(".messages")).to_contain_text(TITLE)
    return int(re.search(r"/pages/(\d+)/edit/", page.url)[1])


def submit(walk: Walk) -> None:
    page = walk.page
    page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    with page.expect_navigation():
        page.locator("button[name='action-submit']").click()
    expect(page.locator(".messages")).to_contain_text("已经提交进行审核")
    walk.look("submitted")


def approve_from_dashboard(walk: Walk) -> None:
    page = walk.page
    page.reload()  # the dashboard as it is now, with the item submitted
    walk.look("reviewer-dashboard")
    row = page.locator("tr", has_text=TITLE)
    row.locator("[data-w-dropdown-target='toggle']").click()
    row.locator("button[data-launch-modal]", has_text="批准").click()
    page.fill("textarea[name=comment]", "数据与指南一致，准予发布")
    with page.expect_navigation():
        page.click(".modal button[type=submit]")
    expect(page.locator(".messages")).to_contain_text(TITLE)
    walk.look("reviewer-approved")


def plan(walk: Walk, live_server, item_pk: int, outlet, at) -> None:
    page = walk.page
    page.goto(f"{live_server.url}/admin/pages/{item_pk}/edit/")
    page.locator("header [data-w-dropdown-target='toggle']").first.click()
    page.get_by_role("link", name="发布到渠道").click()
    page.select_option("#id_outlet", str(outlet.pk))
    page.fill("#id_scheduled_at", f"{timezone.localtime(at):%Y-%m-%d %H:%M}")
    walk.look(f"plan-{outlet.channel}")
    with page.expect_navigation():
        page.locator("footer button[type=submit]").first.click()
    expect(page.locator(".messages")).to_contain_text("已")


def test_an_editor_writes_has_it_approved_plans_it_and_fixes_what_would_fail(
    live_server, browser, articles_index, expert, topic, desk, tmp_path
):
    paper, radio, failed = desk
    staff("林晓雯", "Editors")
    staff("郑国华", REVIEW_GROUP_NAME)
    editor = person(browser, live_server, "林晓雯", "editor", data={TITLE})
    reviewer = person(browser, live_server, "郑国华", "reviewer", data={TITLE})

    item = write_article(editor, live_server, articles_index, expert)
    submit(editor)
    approve_from_dashboard(reviewer)
    assert WagtailPage.objects.get(pk=item).live

    soon = timezone.now() + timedelta(days=3)
    plan(editor, live_server, item, paper, soon)
    plan(editor, live_server, item, radio, soon + timedelta(days=1))
    planned = Placement.objects.get(page_id=item, outlet=paper)
    assert planned.check_failures  # 不足版面 150±50 字, known days ahead

    page = editor.page
    page.goto(f"{live_server.url}/admin/channels/calendar/?date={soon:%Y-%m-%d}")
    chip = page.locator(f".kc-chip[data-placement='{planned.pk}']")
    expect(chip).to_contain_text("⚠")
    editor.look("calendar-warns")

    page.goto(f"{live_server.url}/admin/pages/{item}/edit/")
    toggle = page.locator("[data-side-panel-toggle='channels']")
    expect(toggle.locator("[data-side-panel-toggle-counter]")).to_have_text("1")
    toggle.click()
    outlet = page.locator(".channel-figures__outlet", has_text="求证·科学")
    expect(outlet).to_contain_text("不足版面 150±50 字")
    page.wait_for_timeout(400)  # the panel slides in
    editor.look("side-panel-fails")
    page.fill("#id_standfirst", STANDFIRST + LONGER)  # the editor writes more
    expect(outlet).to_contain_text("符合渠道要求")
    expect(toggle.locator("[data-side-panel-toggle-counter]")).to_be_hidden()
    editor.look("side-panel-passes")

    page.goto(f"{live_server.url}/admin/")
    problems = page.locator("#channel-problems-section")
    expect(problems).to_contain_text("投递目录暂时无法写入")
    editor.look("dashboard-problems")
    with page.expect_navigation():
        problems.get_by_role("button", name="重试").click()
    expect(page.locator(".messages")).to_contain_text("已重新排入交付队列")
    editor.look("retried")
    enqueue_due_placements(timezone.now())  # the scheduler's next round
    failed.refresh_from_db()
    assert failed.status == Placement.Status.DELIVERED
    retried = failed.events.get(note="重试")
    assert retried.user.username == "林晓雯"
    assert list((tmp_path / "drop").iterdir())  # the package is in the folder

    editor.finish()
    reviewer.finish()


# The screen operator ----------------------------------------------------------------


# Every value <body data-playing> takes, with the moment it took it.
RECORD_STARTS = """
window.starts = [];
new MutationObserver(() => {
    const playing = document.body && document.body.dataset.playing;
    const last = window.starts[window.starts.length - 1];
    if (playing && (!last || last[0] !== playing)) {
        window.starts.push([playing, performance.now()]);
    }
}).observe(document, { subtree: true, attributes: true,
                       attributeFilter: ["data-playing"] });
"""


@pytest.fixture
def operator_loop(screen_loop):
    """The fixture loop, quicker: the 1-second video and a 3-second card."""
    PlaylistItem.objects.filter(pk=screen_loop.card.pk).update(duration_seconds=3)
    PlaylistItem.objects.filter(pk=screen_loop.image.pk).update(duration_seconds=2)
    return screen_loop


def loop_seconds(page: Page, first: str) -> float:
    """Seconds between the first two starts of the loop's first item."""
    page.wait_for_function(
        f"window.starts.filter(s => s[0] === '{first}').length >= 2",
        timeout=60_000,
    )
    starts = [at for item, at in page.evaluate("window.starts") if item == first]
    return (starts[1] - starts[0]) / 1000


def test_a_screen_operator_finds_a_group_sets_its_hours_previews_and_pairs_a_screen(
    live_server, browser, settings, screen_tree, operator_loop
):
    settings.BIG_SCREEN_POLL_SECONDS = 2
    User.objects.create_superuser("yunwei", "yunwei@example.org", "pw")
    names = {str(group) for group in ScreenGroup.objects.all()}
    walk = person(browser, live_server, "yunwei", "operator", data=names)
    page = walk.page

    page.goto(f"{live_server.url}/admin/big-screen/groups/")
    county, site = screen_tree.county, screen_tree.site
    site_row = page.locator(f"tr[data-tree-path='{site.path}']")
    expect(site_row).to_be_visible()
    page.locator(f"[data-tree-toggle='{county.path}']").click()
    expect(site_row).to_be_hidden()  # the county's branch folds away
    walk.look("groups-folded")
    page.locator(f"[data-tree-toggle='{county.path}']").click()
    walk.look("groups")
    site_row.get_by_role("link", name=str(site)).click()

    # The site's image plays all day, every day: boxes and times, no JSON.
    walk.look("group-form")
    item = page.locator("[data-day-parts]").first
    for box in item.locator("input[type=checkbox]").all():
        box.check()
    item.locator("input[type=time]").nth(0).fill("00:00")
    item.locator("input[type=time]").nth(1).fill("00:00")  # midnight, 24:00
    with page.expect_navigation():
        page.locator("footer button[type=submit]").first.click()
    expect(page.locator(".messages")).to_contain_text("已")
    image = PlaylistItem.objects.get(pk=operator_loop.image.pk)
    assert image.day_parts == [
        {"days": [1, 2, 3, 4, 5, 6, 7], "start": "00:00", "end": "24:00"}
    ]

    player = browser.new_context(viewport={"width": 960, "height": 540}, locale="zh-CN")
    player.add_init_script(RECORD_STARTS)
    screen_page = player.new_page()
    Walk(screen_page, "player", set())  # its console is checked below
    screen_errors = []
    screen_page.on("pageerror", lambda error: screen_errors.append(str(error)))
    screen_page.goto(f"{live_server.url}/player/")
    code = screen_page.locator("[data-pairing-code]")
    screen_page.wait_for_function(
        "document.querySelector('[data-pairing-code]').textContent.length === 6"
    )
    page.goto(f"{live_server.url}/admin/big-screen/screens/pair/")
    walk.look("pair")
    page.fill("#id_code", code.inner_text())
    page.select_option("#id_group", str(site.pk))
    page.fill("#id_name", "文化广场大屏")
    with page.expect_navigation():
        page.locator("button[type=submit]").last.click()
    screen = Screen.objects.get(name="文化广场大屏")
    screen_page.wait_for_selector("body[data-state=playing]", timeout=20_000)

    page.goto(f"{live_server.url}/admin/big-screen/groups/")
    site_row.locator("[data-w-dropdown-target='toggle']").click()
    site_row.get_by_role("link", name="播放预览").click()
    summary = page.locator("text=/一轮 \\d+ 秒/").first
    expect(summary).to_be_visible()
    walk.look("preview")
    preview_seconds = int(re.search(r"一轮 (\d+) 秒", summary.inner_text())[1])
    assert preview_seconds == 1 + 3 + 2  # the video's own length, card, image

    first = screen_page.evaluate("window.starts[0][0]")
    played = loop_seconds(screen_page, first)
    assert abs(played - preview_seconds) < 1.5, (played, preview_seconds)
    screen_page.screenshot(path=str(SCREENSHOTS / "operator-player.png"))
    assert screen.pk and screen_errors == []
    walk.finish()
    player.close()


# The partner's developer ------------------------------------------------------------


def test_a_partner_gets_a_key_reads_the_docs_and_pulls_every_format(
    live_server, browser, make_article, make_feed
):
    make_article(title=TITLE)
    feed = make_feed("kepu-all", access="partner")
    partner = Partner.objects.create(name="吉林广播电视台", organisation="新闻综合广播")
    User.objects.create_superuser("hezuo", "hezuo@example.org", "pw")
    walk = person(
        browser, live_server, "hezuo", "partner", data={partner.name, feed.title}
    )
    page = walk.page

    page.goto(f"{live_server.url}/admin/partners/partners/")
    walk.look("partners")
    page.get_by_role("link", name="新建密钥").first.click()
    page.fill("#id_label", "官网")
    page.locator(f"input[name=feeds][value='{feed.pk}']").check()
    page.locator("button[type=submit]").last.click()
    expect(page.locator("body")).to_contain_text("只在此页显示这一次")
    walk.look("key-shown-once")
    key = re.search(r"kp_[A-Za-z0-9_-]{43}", page.content())[0]

    page.goto(f"{live_server.url}/api/partner/docs/")
    page.get_by_role("heading", name="条目列表").wait_for()
    walk.look("api-docs", admin=False)

    answer = requests.get(
        f"{live_server.url}/api/partner/items/",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert TITLE in [item["title"] for item in answer.json()["results"]]
    for name in FORMATS:  # podcast and Media RSS: items with audio or video
        url = f"{live_server.url}/feeds/{feed.slug}/{name}?key={key}"
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, url
        if name == "feed.json":
            titles = [entry["title"] for entry in response.json()["items"]]
        else:
            parsed = feedparser.parse(response.content)
            assert not parsed.bozo, (url, parsed.bozo_exception)
            titles = [entry.title for entry in parsed.entries]
        assert (TITLE in titles) == (name in ("rss.xml", "atom.xml", "feed.json"))
    walk.finish()


# A county editor and the province's resource package -----------------------------


def test_a_county_editor_acknowledges_takes_up_and_proves_a_package(
    live_server, browser, make_package, org_tree
):
    package = make_package()
    push(package, recipients(org_tree["province"], [3], None, None), None)
    square = ScreenGroup.objects.create(
        name="合隆镇文化广场",
        tier=ScreenGroup.Tier.SITE,
        operator="合隆镇",
        contact_name="李春生",
        owner=org_tree["helong"],
    )
    editor = staff_of(org_tree["nongan"], name="liuyang")
    editor.last_name, editor.first_name = "刘", "洋"
    editor.save()
    item = package.items.get().page
    walk = person(
        browser,
        live_server,
        "liuyang",
        "county",
        data={package.title, item.title, square.name, "农安县科协", "吉林省科协"},
    )
    page = walk.page
    tasks = page.locator("#package-tasks-section")
    expect(tasks).to_contain_text("待本单位签收")
    walk.look("dashboard")
    tasks.get_by_role("link", name=package.title).click()
    expect(page.locator(".task-state")).to_have_text("待签收")
    walk.look("task")

    page.get_by_role("button", name="签收").click()
    expect(page.locator(".task-state")).to_have_text("已签收")
    page.get_by_label("大屏分组").select_option(label=square.name)
    page.get_by_role("button", name="加入大屏轮播").click()
    expect(page.locator(".task-state")).to_have_text("已采用")
    expect(page.get_by_text(f"大屏轮播：{square.name}")).to_be_visible()
    walk.look("taken-up")

    page.get_by_label("落地情况").fill("在合隆镇大集发放宣传册 300 份")
    page.get_by_label("链接").fill("https://example.cn/helong/dji")
    page.get_by_role("button", name="记录落地").click()
    expect(page.locator(".task-state")).to_have_text("已落地")
    walk.look("proven")
    walk.finish()

    task = package.tasks.get(organisation=org_tree["nongan"])
    assert task.acknowledged_at is not None
    assert PlaylistItem.objects.get(group=square).page_id == item.pk
    assert task.evidence.get().link == "https://example.cn/helong/dji"


# 应急科普 from the province to every channel and every county -------------------


def test_the_province_issues_an_emergency_a_county_acknowledges_it_in_time(
    live_server, browser, make_article, org_tree
):
    item = make_article(slug="typhoon", title="台风来临前，家里要做好哪几件事")
    for organisation, name, (last, first) in [
        ("province", "zhaomin", ("赵", "敏")),
        ("nongan", "liuyang", ("刘", "洋")),
    ]:
        user = staff_of(org_tree[organisation], name=name)
        user.last_name, user.first_name = last, first
        user.save()
    title = "台风橙色预警：今夜起减少外出"
    names = {item.title, title, "吉林省科协", "农安县科协", "长春市科协"}
    province = person(browser, live_server, "zhaomin", "emergency", data=names)
    page = province.page
    page.goto(f"{live_server.url}/admin/tiers/emergencies/")
    page.get_by_role("button", name="选择一个页面").click()
    chooser = page.locator(".modal-content")
    chooser.get_by_role("textbox").first.fill("台风")
    chooser.get_by_role("link", name=item.title).click()
    expect(chooser).to_be_hidden()
    expect(page.locator(".modal-backdrop")).to_have_count(0)
    page.get_by_label("横幅标题").fill(title)
    page.get_by_label("提示内容").fill("请减少外出，远离河道和广告牌。")
    province.look("form")
    page.get_by_role("button", name="立即发布到全部渠道").click()
    expect(page.get_by_text("应急科普已发往各渠道")).to_be_visible()
    expect(page.get_by_text("已签收 0 / 5 个单位")).to_be_visible()
    province.look("arrivals")

    reader = browser.new_context(locale="zh-CN", viewport=VIEWPORT).new_page()
    reader.goto(f"{live_server.url}/")
    expect(reader.locator(".site-alert")).to_contain_text(title)

    county = person(browser, live_server, "liuyang", "emergency-county", data=names)
    tasks = county.page.locator("#package-tasks-section")
    tasks.get_by_role("link", name=f"应急科普：{title}").click()
    county.page.get_by_role("button", name="签收").click()
    expect(county.page.locator(".task-state")).to_have_text("已签收")
    county.look("acknowledged")
    county.finish()

    page.reload()
    expect(page.get_by_text("已签收 1 / 5 个单位")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="农安县科协")
    expect(row).to_contain_text("分钟")
    page.get_by_role("button", name="撤销应急科普").click()
    expect(page.get_by_text("应急科普已撤销")).to_be_visible()
    province.finish()
    reader.reload()
    expect(reader.locator(".site-alert")).to_have_count(0)
