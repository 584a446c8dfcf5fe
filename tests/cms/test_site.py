"""The public site's templates: every page type renders its fields, nothing
unpublished shows, right-to-left titles keep their direction, and a real browser
draws the article in a CJK font."""

import re
from io import BytesIO
from pathlib import Path

import ffmpeg
import pytest
from django.core.files.base import ContentFile, File
from django.core.files.images import ImageFile
from django.template.loader import get_template
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtailmedia.models import Media

from cms import views
from cms.pages import ContentIndexPage, VideoPage

UYGHUR_TITLE = "ۋاكسىنا قانداق رول ئوينايدۇ"


def html(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


@pytest.fixture
def clip(tmp_path) -> Path:
    path = tmp_path / "clip.mp4"
    source = ffmpeg.input("testsrc=size=320x180:rate=25", f="lavfi", t=1)
    source.output(str(path), pix_fmt="yuv420p").run(quiet=True)
    return path


@pytest.fixture
def tone(tmp_path) -> Path:
    path = tmp_path / "tone.mp3"
    ffmpeg.input("sine=frequency=440", f="lavfi", t=1).output(str(path)).run(quiet=True)
    return path


@pytest.fixture
def video_media(clip) -> Media:
    with clip.open("rb") as f:
        return Media.objects.create(
            title="疫苗小课堂",
            type="video",
            duration=1,
            file=File(f, name="yimiao.mp4"),
        )


@pytest.fixture
def audio_media(tone) -> Media:
    with tone.open("rb") as f:
        return Media.objects.create(
            title="台风来了", type="audio", duration=1, file=File(f, name="taifeng.mp3")
        )


@pytest.fixture
def make_subtitles(db):
    def make(extension: str) -> Document:
        cue = "00:00:00.000 --> 00:00:01.000\n疫苗让身体提前认识病毒\n"
        text = (
            f"WEBVTT\n\n{cue}" if extension == "vtt" else f"1\n{cue.replace('.', ',')}"
        )
        return Document.objects.create(
            title="中文字幕", file=ContentFile(text.encode(), name=f"zimu.{extension}")
        )

    return make


@pytest.fixture
def make_video(articles_index, expert, video_media, review_and_publish):
    def make(**fields) -> VideoPage:
        fields.setdefault("title", "三分钟看懂疫苗")
        fields.setdefault("summary", "动画讲解疫苗如何训练免疫系统。")
        fields.setdefault("transcript", "大家好，今天我们来聊聊疫苗。")
        fields.setdefault("source_credit", "省科协")
        fields.setdefault("reviewing_expert", expert)
        page = VideoPage(video=video_media, live=False, **fields)
        return review_and_publish(articles_index.add_child(instance=page))

    return make


@pytest.fixture
def photo(db) -> Image:
    buffer = BytesIO()
    PILImage.new("RGB", (640, 360), "#0b6e75").save(buffer, "PNG")
    return Image.objects.create(
        title="抗体示意图", file=ImageFile(buffer, name="kangti.png")
    )


@pytest.fixture
def full_article(make_article, campaign, photo):
    body = [
        {"type": "paragraph", "value": "<p>免疫系统像一支训练有素的队伍。</p>"},
        {"type": "image", "value": {"image": photo.pk, "caption": "抗体与病毒结合"}},
        {
            "type": "quote",
            "value": {
                "text": "疫苗是最有效的公共卫生措施之一。",
                "attribution": "周明",
            },
        },
        {
            "type": "fact_box",
            "value": {
                "title": "接种小贴士",
                "facts": ["接种后留观30分钟", "接种部位保持清洁"],
            },
        },
        {
            "type": "references",
            "value": [
                {
                    "title": "疫苗接种知识问答",
                    "publisher": "国家疾控局",
                    "url": "https://example.org/yimiao",
                }
            ],
        },
    ]
    return make_article(body=body, campaign=campaign)


def test_home_page_lists_latest_items_and_live_sections(
    client, home, make_article, radio_column
):
    make_article()
    page = html(client, home.url)
    assert '<html lang="zh-Hans">' in page
    assert "科普全媒体" in page
    assert "疫苗是怎样起作用的" in page
    assert "科普文章" in page and "科学五分钟" in page
    assert 'action="/search/"' in page


def test_navigation_leaves_out_unpublished_sections(client, home, articles_index):
    home.add_child(
        instance=ContentIndexPage(title="筹备中栏目", slug="draft", live=False)
    )
    page = html(client, articles_index.url)
    assert 'aria-current="page">科普文章</a>' in page
    assert "筹备中栏目" not in page


def test_section_index_lists_its_items(client, articles_index, make_article):
    make_article()
    page = html(client, articles_index.url)
    assert "疫苗是怎样起作用的" in page
    assert "接种疫苗后，身体会记住病原体的样子。" in page


def test_article_page_shows_credit_taxonomy_and_reviewing_expert(client, full_article):
    page = html(client, full_article.url)
    for text in (
        "疫苗是怎样起作用的",
        "接种疫苗后，身体会记住病原体的样子。",
        "李青",
        "审核专家",
        "周明",
        "省疾控中心",
        "公共卫生",
        "老年人",
        "全国科普日",
        "省科协",
    ):
        assert text in page, text
    assert re.search(r'<time class="byline__item" datetime="[^"]+">\d{4}年', page)


def test_article_body_blocks_use_their_templates(client, full_article):
    page = html(client, full_article.url)
    assert '<div class="block-paragraph" dir="auto"><p>免疫系统' in page
    assert re.search(r'<img [^>]*srcset="/files/images/\d+/w480/kangti[^"]* 480w', page)
    assert "抗体与病毒结合</figcaption>" in page
    # The quote and the facts take their direction from their own text.
    assert '<figure class="block-quote" dir="auto">' in page
    assert "<blockquote>疫苗是最有效的公共卫生措施之一。</blockquote>" in page
    assert '<ul class="block-factbox__facts" dir="auto">' in page
    assert '<aside class="block-factbox">' in page
    assert "接种小贴士" in page and "接种后留观30分钟" in page
    assert (
        '<a href="https://example.org/yimiao" rel="noopener">疫苗接种知识问答</a>'
        in page
    )


def test_video_page_plays_the_video_with_webvtt_subtitles(
    client, make_video, make_subtitles, video_media
):
    subtitles = make_subtitles("vtt")
    video = make_video(subtitles=subtitles)
    page = html(client, video.url)
    assert '<video controls preload="metadata"' in page
    video_address = f"/feeds/media/{video.pk}/{video_media.pk}/{video_media.filename}"
    assert f'<source src="{video_address}" type="video/mp4">' in page
    assert (
        f'<track kind="subtitles" srclang="zh" label="中文字幕" src="{subtitles.url}"'
        in page
    )
    assert client.get(video_address).status_code == 200
    assert client.get(subtitles.url).status_code == 200
    assert "动画讲解疫苗如何训练免疫系统。" in page
    assert "大家好，今天我们来聊聊疫苗。" in page


def test_srt_subtitles_are_offered_for_download_not_as_a_track(
    client, make_video, make_subtitles
):
    subtitles = make_subtitles("srt")
    page = html(client, make_video(subtitles=subtitles).url)
    assert "<track" not in page
    assert f'<a href="{subtitles.url}" download>下载字幕文件（SRT）</a>' in page


def test_column_page_lists_its_episodes(client, radio_column, make_episode):
    make_episode(1)
    make_episode(2, title="第2期：雷雨天注意什么")
    make_episode(3, publish=False, title="第3期：未发布")
    page = html(client, radio_column.url)
    assert "FM 91.6 交通广播" in page and "每周四 07:30" in page
    assert "第1期：台风来了怎么办" in page and "第2期：雷雨天注意什么" in page
    assert page.index("第2期：雷雨天") < page.index("第1期：台风")
    assert "第3期：未发布" not in page


def test_column_episode_page_has_number_body_and_audio(
    client, make_episode, audio_media
):
    episode = make_episode(7, audio=audio_media)
    page = html(client, episode.url)
    assert "第 7 期" in page
    assert "台风来临前，储备饮用水。" in page
    assert '<audio controls preload="metadata">' in page
    address = f"/feeds/media/{episode.pk}/{audio_media.pk}/{audio_media.filename}"
    assert f'<source src="{address}" type="audio/mpeg">' in page


def test_search_lists_results_with_type_and_snippet(client, make_article):
    make_article()
    page = html(client, "/search/?q=疫苗")
    assert "找到 1 条与“疫苗”相关的结果" in page
    assert '<p class="card__type">科普文章</p>' in page
    assert "疫苗是怎样起作用的" in page
    assert "接种疫苗后，身体会记住病原体的样子。" in page


def test_search_pagination_keeps_the_query(client, make_article, monkeypatch):
    monkeypatch.setattr(views, "RESULTS_PER_PAGE", 1)
    make_article()
    make_article(title="疫苗接种前要准备什么")
    page = html(client, "/search/?q=疫苗")
    assert 'href="?q=%E7%96%AB%E8%8B%97&amp;page=2">下一页</a>' in page
    assert "第 1 页，共 2 页" in page


def test_search_without_matches_says_so(client, make_article):
    make_article()
    assert "没有找到与“黑洞”相关的内容。" in html(client, "/search/?q=黑洞")


def test_search_without_query_asks_for_one(client, home):
    assert "请输入要查找的关键词。" in html(client, "/search/")


def test_uyghur_title_renders_in_its_own_direction(client, home, make_article):
    article = make_article(title=UYGHUR_TITLE)
    page = html(client, article.url)
    assert f'<h1 class="article__title" dir="auto">{UYGHUR_TITLE}</h1>' in page
    assert re.search(
        f'dir="auto"><a href="[^"]+">{UYGHUR_TITLE}</a>', html(client, home.url)
    )


def test_draft_article_is_not_served_or_linked(
    client, home, articles_index, make_article
):
    draft = make_article(publish=False, title="尚未审核的稿件")
    html(client, draft.url, status=404)
    assert "尚未审核的稿件" not in html(client, home.url)
    assert "尚未审核的稿件" not in html(client, articles_index.url)
    assert "尚未审核的稿件" not in html(client, "/search/?q=审核")


def test_missing_page_shows_chinese_404(client, home):
    page = html(client, "/meiyou-zhege-yemian/", status=404)
    assert "页面不存在" in page
    assert "返回首页" in page


def test_server_error_page_renders_without_context_or_database():
    assert "服务器出错了" in get_template("500.html").render()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_browser_draws_article_title_in_a_cjk_font(
    live_server, browser, full_article, tmp_path
):
    tab = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    tab.goto(live_server.url + full_article.url)
    title = tab.locator("h1.article__title")
    box = title.bounding_box()
    cdp = tab.context.new_cdp_session(tab)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send(
        "DOM.querySelector", {"nodeId": root, "selector": "h1.article__title"}
    )
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    tab.screenshot(path=tmp_path / "article.png", full_page=True)
    assert box["width"] > 0 and box["height"] > 0
    assert {f["familyName"] for f in fonts["fonts"]} == {"Noto Sans CJK SC"}
    assert (tmp_path / "article.png").stat().st_size > 0


def test_public_site_stays_chinese_for_a_browser_asking_for_english(client, home):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "科普全媒体" in html and "Science Outreach Media" not in html


UYGHUR_TEXT = "زۇكام ۋاكسىنىسى ياشانغانلارنى قوغدايدۇ، ھەر يىلى ئەمدەش كېرەك."


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_a_uyghur_article_is_laid_out_right_to_left(
    live_server, browser, make_article, width, tmp_path
):
    body = [
        {"type": "paragraph", "value": f"<p>{UYGHUR_TEXT * 3}</p>"},
        {"type": "quote", "value": {"text": UYGHUR_TEXT, "attribution": "ئەخمەت"}},
        {
            "type": "fact_box",
            "value": {"title": UYGHUR_TITLE, "facts": [UYGHUR_TEXT, UYGHUR_TEXT]},
        },
    ]
    article = make_article(title=UYGHUR_TITLE, body=body)
    tab = browser.new_page(viewport={"width": width, "height": 900})
    tab.goto(live_server.url + article.url)
    layout = tab.evaluate(
        """() => {
        const style = (selector) => getComputedStyle(document.querySelector(selector));
        const box = document.querySelector(".block-factbox").getBoundingClientRect();
        const items = [...document.querySelectorAll(".block-factbox__facts li")];
        return {
            quoteBar: [style(".block-quote").borderRightWidth,
                       style(".block-quote").borderLeftWidth],
            listDirection: style(".block-factbox__facts").direction,
            listPadding: style(".block-factbox__facts").paddingRight,
            itemsInside: items.every((li) => {
                const r = li.getBoundingClientRect();
                return r.right + 16 <= box.right && r.left >= box.left;
            }),
            paragraphAlign: style(".block-paragraph p").textAlign,
        };
    }"""
    )
    tab.screenshot(path=tmp_path / f"uyghur-{width}.png", full_page=True)
    assert layout["quoteBar"] == ["4px", "0px"]  # the accent bar on the right
    assert layout["listDirection"] == "rtl" and layout["listPadding"] != "0px"
    assert layout["itemsInside"]  # bullets inside the card, clear of its border
    assert layout["paragraphAlign"] == "start"  # not justified: no wide gaps
